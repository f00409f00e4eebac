// @anthropic-ai/sdk, unchanged, with extended thinking on, through a real Envoy against three
// backends: anthropic (same dialect: thinking blocks and signature_delta pass through), bedrock
// (Converse: thinking as additionalModelRequestFields, reasoningContent back as thinking blocks
// with their signatures, a signed history sent back as reasoningContent; the fake refuses a bad
// SigV4 signature as AWS does) and openai (thinking -> reasoning_effort, OpenAI's
// reasoning_tokens counted). messages.create and messages.stream on each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
// The golden fixture's ConverseStream: signed thinking, a redacted block, then "97 is prime."
const CONVERSE_STREAM = readFileSync(join(FIXTURES, 'anthropic-bedrock', 'thinking-stream', 'upstream.bin'));
const STREAM_SIGNATURE = 'EqQBCkgIBxABGAIiQJ2rKhNo3vYqU1cZ4dBpm0x7bGq8hWk5mTc9Lr2w0XjN6uYvP1sQeZaHfK3oVgC8tRbD4nMyI7Ji2EoWlUpSaA==';
const STREAM_REDACTED = 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB0URj8zmPM0dkbRwA==';
const PLAIN_SIGNATURE = 'EuYBCkQIBxgCIkBvX2m0yZ3Hq8T4k1LrJ6cWbN9sDfQpA7eVuG5hKoMiRtYxC2jP0wBzLnS8aE1dUgFvH4qZ3iO6lXyT9rMkEg==';
const BEDROCK_MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const ANTHROPIC_KEY = 'sk-ant-gateway-key';
const THINKING = { type: 'enabled' as const, budget_tokens: 2048 };

const bodyOf = (r: Recorded) => JSON.parse(r.body.toString()) as Record<string, any>;
const chunked = (buf: Buffer, size: number) => Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const anthropicError = (status: number, message: string): Reply => ({ status, json: { type: 'error', error: { type: 'invalid_request_error', message } } });

/** Anthropic's API: its key, a thinking config that is valid there (budget ≥ 1024, below max_tokens). */
function anthropicFake(req: Recorded): Reply {
  if (req.headers['x-api-key'] !== ANTHROPIC_KEY) return { status: 401, json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
  if (req.url !== '/v1/messages') return anthropicError(404, `not found: ${req.url}`);
  const body = bodyOf(req);
  const t = body.thinking;
  if (t?.type !== 'enabled' || !(t.budget_tokens >= 1024) || !(t.budget_tokens < body.max_tokens)) return anthropicError(400, `thinking: ${JSON.stringify(t)} with max_tokens ${body.max_tokens}`);
  const message = { id: 'msg_01ThinkE2e', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', stop_reason: null, stop_sequence: null };
  if (!body.stream) {
    return {
      json: {
        ...message,
        content: [
          { type: 'thinking', thinking: '97 has no divisor up to 9.', signature: PLAIN_SIGNATURE },
          { type: 'text', text: '97 is prime.' },
        ],
        stop_reason: 'end_turn',
        usage: { input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 90 },
      },
    };
  }
  return {
    sse: [
      sse('message_start', { message: { ...message, content: [], usage: { input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 } } }),
      sse('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      sse('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: '97 has no divisor ' } }),
      sse('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'up to 9.' } }),
      sse('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: STREAM_SIGNATURE } }),
      sse('content_block_stop', { index: 0 }),
      sse('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      sse('content_block_delta', { index: 1, delta: { type: 'text_delta', text: '97 is prime.' } }),
      sse('content_block_stop', { index: 1 }),
      sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 95 } }),
      sse('message_stop', {}),
    ],
    delayMs: 2,
  };
}

/** Bedrock Converse: SigV4 checked, a thinking config Claude takes, signed reasoning in the history. */
function bedrockFake(req: Recorded): Reply {
  if (!verifySigV4(req, 'us-east-1', 'bedrock')) return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
  const body = bodyOf(req);
  const t = body.additionalModelRequestFields?.thinking;
  const budgetOk = t?.type === 'enabled' && t.budget_tokens >= 1024 && t.budget_tokens < body.inferenceConfig?.maxTokens;
  if (!budgetOk && !(t?.type === 'adaptive' && Object.keys(t).length === 1)) {
    return { status: 400, headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, json: { message: `thinking: ${JSON.stringify(t)}` } };
  }
  for (const m of body.messages) {
    for (const c of m.content) {
      if (c.reasoningContent?.reasoningText && !c.reasoningContent.reasoningText.signature) {
        return { status: 400, headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, json: { message: 'reasoningText needs its signature' } };
      }
    }
  }
  if (req.url.endsWith('/converse-stream')) return { headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'e2e-think-stream' }, chunks: chunked(CONVERSE_STREAM, 61), delayMs: 2, endDelayMs: 20 };
  return {
    headers: { 'x-amzn-requestid': 'e2e-think-plain' },
    json: {
      output: { message: { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: '97 has no divisor up to 9.', signature: PLAIN_SIGNATURE } } }, { text: '97 is prime.' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 40, outputTokens: 90, totalTokens: 130 },
      metrics: { latencyMs: 900 },
    },
  };
}

/** OpenAI: Bearer key, a reasoning effort, reasoning tokens reported in usage. */
function openaiFake(req: Recorded): Reply {
  if (req.headers.authorization !== 'Bearer sk-gw-openai') return { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } };
  const body = bodyOf(req);
  if (!['low', 'medium', 'high'].includes(body.reasoning_effort)) return { status: 400, json: { error: { message: `reasoning_effort: ${body.reasoning_effort}`, type: 'invalid_request_error' } } };
  const usage = { prompt_tokens: 12, completion_tokens: 141, total_tokens: 153, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 128 } };
  const base = { id: 'chatcmpl-e2eThink', created: 1764590400, model: 'o4-mini-2025-04-16' };
  if (!body.stream) return { json: { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: '97 is prime.', refusal: null }, logprobs: null, finish_reason: 'stop' }], usage } };
  const chunk = (o: Record<string, unknown>) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...o })}\n\n`;
  return {
    sse: [
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], usage: null }),
      chunk({ choices: [{ index: 0, delta: { content: '97 is ' }, logprobs: null, finish_reason: null }], usage: null }),
      chunk({ choices: [{ index: 0, delta: { content: 'prime.' }, logprobs: null, finish_reason: null }], usage: null }),
      chunk({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }),
      ...(body.stream_options?.include_usage ? [chunk({ choices: [], usage })] : []),
      'data: [DONE]\n\n',
    ],
    delayMs: 2,
  };
}

let anthropic: FakeUpstream;
let bedrock: FakeUpstream;
let openai: FakeUpstream;
let gw: Gateway;
const creds = (f: string) => ({ file: join(FIXTURES, 'openai-bedrock', '_creds', f) });

beforeAll(async () => {
  anthropic = await startFakeUpstream(anthropicFake);
  bedrock = await startFakeUpstream(bedrockFake);
  openai = await startFakeUpstream(openaiFake);
  gw = await startGateway({
    backends: {
      anthropic: { provider: 'anthropic', endpoint: anthropic.url, authToken: { kind: 'Inline', inline: ANTHROPIC_KEY } },
      bedrock: { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
      openai: { provider: 'openai', endpoint: openai.url, model: 'o4-mini', authToken: { kind: 'Inline', inline: 'sk-gw-openai' } },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([anthropic?.close(), bedrock?.close(), openai?.close()]);
});

const client = (backend: string) => new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client', defaultHeaders: { 'x-llm-backend': backend }, maxRetries: 0 });
const text = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
const QUESTION: Anthropic.MessageParam[] = [{ role: 'user', content: 'Is 97 prime?' }];

describe('@anthropic-ai/sdk with extended thinking, through the gateway', () => {
  it('anthropic, messages.create: the thinking block and its signature pass through', async () => {
    const msg = await client('anthropic').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 4096, thinking: THINKING, messages: QUESTION });
    expect(bodyOf(anthropic.last()).thinking).toEqual(THINKING);
    expect(msg.content[0]).toEqual({ type: 'thinking', thinking: '97 has no divisor up to 9.', signature: PLAIN_SIGNATURE });
    expect(text(msg)).toBe('97 is prime.');
    expect(msg.usage).toMatchObject({ input_tokens: 40, output_tokens: 90 });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.output_tokens === 90);
    expect(log).toMatchObject({ provider: 'anthropic', input_tokens: 40, total_tokens: 130, tokens_estimated: false });
  });

  it('anthropic, messages.stream: thinking_delta and signature_delta reach the SDK, which assembles the signed block', async () => {
    const stream = client('anthropic').messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 4096, thinking: THINKING, messages: QUESTION });
    let thought = '';
    let signature = '';
    stream.on('thinking', (delta) => (thought += delta));
    stream.on('streamEvent', (ev) => {
      if (ev.type === 'content_block_delta' && ev.delta.type === 'signature_delta') signature = ev.delta.signature;
    });
    const final = await stream.finalMessage();
    expect(thought).toBe('97 has no divisor up to 9.');
    expect(signature).toBe(STREAM_SIGNATURE);
    expect(final.content[0]).toEqual({ type: 'thinking', thinking: '97 has no divisor up to 9.', signature: STREAM_SIGNATURE });
    expect(text(final)).toBe('97 is prime.');
    expect(final.usage).toMatchObject({ input_tokens: 40, output_tokens: 95 });
    await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.output_tokens === 95 && l.input_tokens === 40);
  });

  it('bedrock, messages.create: SigV4-signed Converse with the thinking config; reasoningContent back as a signed thinking block, sent back as reasoningContent', async () => {
    const first = await client('bedrock').messages.create({ model: BEDROCK_MODEL, max_tokens: 4096, thinking: THINKING, messages: QUESTION });
    const req = bedrock.last();
    expect(req.url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`);
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /);
    expect(req.headers['x-api-key']).toBeUndefined();
    expect(bodyOf(req).additionalModelRequestFields).toEqual({ thinking: THINKING });
    expect(bodyOf(req).inferenceConfig).toEqual({ maxTokens: 4096 });
    expect(first.content).toEqual([
      { type: 'thinking', thinking: '97 has no divisor up to 9.', signature: PLAIN_SIGNATURE },
      { type: 'text', text: '97 is prime.' },
    ]);
    expect(first).toMatchObject({ id: 'msg_bdrk_e2ethinkplain', model: BEDROCK_MODEL, stop_reason: 'end_turn', usage: { input_tokens: 40, output_tokens: 90 } });

    // The next turn carries the signed thinking back, as Claude wants it in a conversation.
    await client('bedrock').messages.create({
      model: BEDROCK_MODEL,
      max_tokens: 4096,
      thinking: THINKING,
      messages: [...QUESTION, { role: 'assistant', content: first.content }, { role: 'user', content: 'And 91?' }],
    });
    expect(bodyOf(bedrock.last()).messages[1]).toEqual({
      role: 'assistant',
      content: [{ reasoningContent: { reasoningText: { text: '97 has no divisor up to 9.', signature: PLAIN_SIGNATURE } } }, { text: '97 is prime.' }],
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 130);
    expect(log).toMatchObject({ provider: 'bedrock', input_tokens: 40, output_tokens: 90, tokens_estimated: false });
  });

  it('bedrock, adaptive thinking (Claude decides how much): passed to Converse as it is', async () => {
    const msg = await client('bedrock').messages.create({ model: BEDROCK_MODEL, max_tokens: 4096, thinking: { type: 'adaptive' }, messages: QUESTION });
    expect(bodyOf(bedrock.last()).additionalModelRequestFields).toEqual({ thinking: { type: 'adaptive' } });
    expect(msg.content[0]).toMatchObject({ type: 'thinking', signature: PLAIN_SIGNATURE });
  });

  it('bedrock, messages.stream: reasoningContent deltas become thinking, signature and redacted_thinking blocks the SDK assembles', async () => {
    const stream = client('bedrock').messages.stream({ model: BEDROCK_MODEL, max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 4000 }, messages: QUESTION });
    const final = await stream.finalMessage();
    const req = bedrock.last();
    expect(req.url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse-stream`);
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(bodyOf(req).additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 4000 } });
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'Check divisors of 97 up to 9: 2, 3, 5, 7 do not divide it.', signature: STREAM_SIGNATURE },
      { type: 'redacted_thinking', data: STREAM_REDACTED },
      { type: 'text', text: '97 is prime.' },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 48, output_tokens: 214 });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 262);
    expect(log).toMatchObject({ provider: 'bedrock', input_tokens: 48, output_tokens: 214, tokens_estimated: false });
  });

  it('openai, messages.create: thinking becomes reasoning_effort; the answer text comes back and OpenAI reasoning tokens are counted', async () => {
    const msg = await client('openai').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 10000 }, messages: QUESTION });
    const sent = bodyOf(openai.last());
    expect(sent.reasoning_effort).toBe('medium');
    expect(sent.thinking).toBeUndefined();
    expect(msg.content).toEqual([{ type: 'text', text: '97 is prime.' }]);
    expect(msg.usage).toMatchObject({ input_tokens: 12, output_tokens: 141 });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.path === '/v1/messages' && l.total_tokens === 153);
    expect(log).toMatchObject({ provider: 'openai', reasoning_tokens: 128, output_tokens: 141 });
  });

  it('openai, messages.stream: text streams, usage with reasoning tokens recorded', async () => {
    const before = gw.accessLog().filter((l) => l.backend === 'openai').length;
    const final = await client('openai').messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 4096, thinking: THINKING, messages: QUESTION }).finalMessage();
    const sent = bodyOf(openai.last());
    expect(sent).toMatchObject({ reasoning_effort: 'low', stream: true, stream_options: { include_usage: true } });
    expect(text(final)).toBe('97 is prime.');
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 141 });
    const until = Date.now() + 5000;
    let lines = gw.accessLog().filter((l) => l.backend === 'openai');
    while (lines.length <= before && Date.now() < until) {
      await new Promise((ok) => setTimeout(ok, 50));
      lines = gw.accessLog().filter((l) => l.backend === 'openai');
    }
    expect(lines.length, 'the stream has its own access log entry').toBe(before + 1);
    expect(lines.at(-1)).toMatchObject({ provider: 'openai', reasoning_tokens: 128, total_tokens: 153 });
  });
});
