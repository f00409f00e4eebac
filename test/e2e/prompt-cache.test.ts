// Prompt caching through a real Envoy: the unchanged @anthropic-ai/sdk marks system, tools and
// a message block with cache_control; a Bedrock fake (which refuses a bad SigV4 signature, as
// AWS does) receives Converse cachePoints right after each marked block, and answers with
// cache reads and writes. The client gets them in Anthropic's shape (an OpenAI client in
// OpenAI's); Envoy's access log, the usage log, the metrics and the cost count them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeUpstream, type Gateway, type Recorded, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, type Line, sampleValue, scrape } from './observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const PLAIN = (JSON.parse(readFileSync(join(FIXTURES, 'anthropic-bedrock', 'prompt-cache-plain', 'case.json'), 'utf8')) as { response: { body: unknown } }).response.body;
const STREAM = readFileSync(join(FIXTURES, 'anthropic-bedrock', 'prompt-cache-stream', 'upstream.bin'));
const POLICY = 'You review contracts under French law. Cite the clause number for every claim.';
const CONTRACT = 'CONTRACT 2024-117. Clause 1: parties. Clause 4: the supplier may end the agreement without notice.';
const PRICE = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 };

let bedrock: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();
const creds = (f: string) => ({ file: join(FIXTURES, 'openai-bedrock', '_creds', f) });
const backend = (endpoint: string) => ({ provider: 'bedrock', region: 'us-east-1', endpoint, aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } });

function chunked(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

beforeAll(async () => {
  bedrock = await startFakeUpstream((req: Recorded) => {
    if (!verifySigV4(req, 'us-east-1', 'bedrock')) return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
    if (req.url.endsWith('/converse-stream')) return { headers: { 'content-type': 'application/vnd.amazon.eventstream' }, chunks: chunked(STREAM, 89), delayMs: 2, endDelayMs: 20 };
    return { json: PLAIN };
  });
  gw = await startGateway({
    backends: { 'cache-plain': backend(bedrock.url), 'cache-stream': backend(bedrock.url), 'cache-openai': backend(bedrock.url), 'cache-bad': backend(bedrock.url) },
    pricing: { 'anthropic.claude-*': PRICE },
  });
});

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await bedrock?.close();
});

const anthropic = (backendName: string) => new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client', defaultHeaders: { 'x-llm-backend': backendName }, maxRetries: 0 });
const bodyOf = (r: Recorded) => JSON.parse(r.body.toString()) as Record<string, unknown>;

async function usageLine(backendName: string): Promise<Line> {
  const until = Date.now() + 5000;
  for (;;) {
    const [line] = logs.usage((l) => l.backend === backendName);
    if (line) return line;
    if (Date.now() > until) throw new Error(`no usage line for ${backendName}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('@anthropic-ai/sdk with cache_control, Bedrock Converse behind the gateway', () => {
  it('plain: cachePoints after the marked tool, system block and message block; cache reads and writes counted, priced and logged', async () => {
    const before = bedrock.requests.length;
    const msg = await anthropic('cache-plain').messages.create({
      model: MODEL,
      max_tokens: 512,
      system: [
        { type: 'text', text: POLICY, cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: 'Answer in French.' },
      ],
      tools: [{ name: 'lookup_clause', description: 'Fetch one clause', input_schema: { type: 'object', properties: { clause: { type: 'integer' } } }, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: CONTRACT, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Is clause 4 enforceable?' }] }],
    });
    expect(bedrock.requests.length).toBe(before + 1);
    const req = bedrock.last();
    expect(req.url).toBe(`/model/${encodeURIComponent(MODEL)}/converse`);
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /);
    expect(req.headers['x-api-key']).toBeUndefined();
    const sent = bodyOf(req);
    expect(sent.system).toEqual([{ text: POLICY }, { cachePoint: { type: 'default', ttl: '1h' } }, { text: 'Answer in French.' }]);
    expect(sent.messages).toEqual([{ role: 'user', content: [{ text: CONTRACT }, { cachePoint: { type: 'default' } }, { text: 'Is clause 4 enforceable?' }] }]);
    expect((sent.toolConfig as { tools: unknown[] }).tools).toEqual([
      { toolSpec: { name: 'lookup_clause', description: 'Fetch one clause', inputSchema: { json: { type: 'object', properties: { clause: { type: 'integer' } } } } } },
      { cachePoint: { type: 'default', ttl: '1h' } },
    ]);

    // Anthropic's shape: input_tokens without the cache, reads and writes beside it.
    expect(msg.usage).toMatchObject({ input_tokens: 42, output_tokens: 18, cache_read_input_tokens: 3100, cache_creation_input_tokens: 1800 });
    const cost = (42 * PRICE.input + 3100 * PRICE.cachedInput + 1800 * PRICE.cacheWrite + 18 * PRICE.output) / 1e6;

    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'cache-plain');
    expect(entry).toMatchObject({ provider: 'bedrock', path: '/v1/messages', response_code: 200, input_tokens: 4942, output_tokens: 18, total_tokens: 4960, cached_input_tokens: 3100, cache_write_input_tokens: 1800, tokens_estimated: false });
    expect(entry.cost_usd as number).toBeCloseTo(cost, 12);
    const line = await usageLine('cache-plain');
    expect(line).toMatchObject({ inputTokens: 4942, outputTokens: 18, totalTokens: 4960, cachedInputTokens: 3100, cacheWriteInputTokens: 1800, tokensEstimated: false, status: 200 });
    expect(line.costUsd as number).toBeCloseTo(cost, 12);

    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'llm_extproc_cache_write_input_tokens_total', { backend: 'cache-plain' })).toBe(1800);
    expect(sampleValue(m, 'llm_extproc_cached_input_tokens_total', { backend: 'cache-plain' })).toBe(3100);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { backend: 'cache-plain', gen_ai_token_type: 'input' })).toBe(4942);
    expect(sampleValue(m, 'llm_extproc_cost_usd_total', { backend: 'cache-plain' })).toBeCloseTo(cost, 12);
  });

  it('stream: cachePoints in the ConverseStream request; the SDK final message and every record carry the reads and writes of the metadata event', async () => {
    const stream = anthropic('cache-stream').messages.stream({
      model: MODEL,
      max_tokens: 64,
      system: [{ type: 'text', text: POLICY, cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Clause 1?' },
        { role: 'assistant', content: 'Parties.' },
        { role: 'user', content: [{ type: 'text', text: 'Clause 4?', cache_control: { type: 'ephemeral', ttl: '5m' } }] },
      ],
    });
    const final = await stream.finalMessage();
    expect(final.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Abusive : sans préavis.');
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 6, cache_read_input_tokens: 2048, cache_creation_input_tokens: 512 });
    const req = bedrock.last();
    expect(req.url).toBe(`/model/${encodeURIComponent(MODEL)}/converse-stream`);
    const sent = bodyOf(req);
    expect(sent.system).toEqual([{ text: POLICY }, { cachePoint: { type: 'default' } }]);
    expect((sent.messages as { content: unknown[] }[])[2]!.content).toEqual([{ text: 'Clause 4?' }, { cachePoint: { type: 'default', ttl: '5m' } }]);

    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'cache-stream');
    expect(entry).toMatchObject({ input_tokens: 2572, output_tokens: 6, total_tokens: 2578, cached_input_tokens: 2048, cache_write_input_tokens: 512, tokens_estimated: false, stream_end: 'complete', response_code: 200 });
    expect(await usageLine('cache-stream')).toMatchObject({ stream: true, inputTokens: 2572, cachedInputTokens: 2048, cacheWriteInputTokens: 512, streamEnd: 'complete' });
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'llm_extproc_cache_write_input_tokens_total', { backend: 'cache-stream' })).toBe(512);
  });

  it('a cache ttl Bedrock has no value for: 400 unsupported_field in Anthropic shape, nothing sent to Bedrock', async () => {
    const before = bedrock.requests.length;
    const err = await anthropic('cache-bad')
      .messages.create({ model: MODEL, max_tokens: 8, system: [{ type: 'text', text: POLICY, cache_control: { type: 'ephemeral', ttl: '24h' as '1h' } }], messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.headers?.get('x-llm-error-code')).toBe('unsupported_field');
    expect(e.message).toContain('system[0].cache_control.ttl');
    expect(bedrock.requests.length).toBe(before);
  });
});

describe('the official openai SDK on the same Bedrock backend', () => {
  it('streamed with include_usage: cache reads as prompt_tokens_details.cached_tokens, writes inside prompt_tokens; metadata has both', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', defaultHeaders: { 'x-llm-backend': 'cache-openai' }, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Clause 4?' }] });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Abusive : sans préavis.');
    expect(usage).toEqual({ prompt_tokens: 2572, completion_tokens: 6, total_tokens: 2578, prompt_tokens_details: { cached_tokens: 2048 } });
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'cache-openai');
    expect(entry).toMatchObject({ client_dialect: 'openai', input_tokens: 2572, cached_input_tokens: 2048, cache_write_input_tokens: 512 });
  });
});
