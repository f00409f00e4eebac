// Pools through a real Envoy: a client selects `smart` like any backend (by model or header);
// Envoy tries its members in priority order, and the upstream filter translates and signs each
// attempt for the provider that receives it. Fakes of three APIs (Anthropic, Bedrock with its
// SigV4 checked, Gemini) can be told to fail each way a provider fails; the unchanged official
// SDKs get one clean answer, counted once, the answering backend named.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, sampleValue, scrape } from './observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const fixture = (pair: string, file: string) => readFileSync(join(FIXTURES, pair, file));
const fixtureJson = (pair: string) => JSON.parse(fixture(pair, 'case.json').toString()) as { response: { body: unknown } };
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** How a fake fails (or not) on its next request. */
type Behaviour = 'ok' | '429' | '503' | 'reset' | 'stall' | 'cut';

interface Provider {
  fake: FakeUpstream;
  script: Behaviour[];
}

function next(p: Provider): Behaviour {
  return p.script.length > 1 ? p.script.shift()! : (p.script[0] ?? 'ok');
}

function chunked(bytes: Buffer, parts = 4): Buffer[] {
  const size = Math.ceil(bytes.length / parts);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** A fake provider that fails as its script says, else answers with `ok(req, stream)`. */
async function provider(errorBody: unknown, ok: (req: Recorded, stream: boolean) => Reply, check?: (req: Recorded) => Reply | undefined): Promise<Provider> {
  const p: Provider = { fake: undefined as never, script: [] };
  p.fake = await startFakeUpstream(async (req) => {
    const refused = check?.(req);
    if (refused) return refused;
    const stream = req.url.includes('stream') || (JSON.parse(req.body.toString() || '{}') as { stream?: boolean }).stream === true;
    switch (next(p)) {
      case '429':
        return { status: 429, headers: { 'retry-after': '0' }, json: errorBody };
      case '503':
        return { status: 503, json: errorBody };
      case 'reset':
        return { reset: true };
      case 'stall':
        await sleep(3000);
        return ok(req, stream);
      case 'cut':
        // The first part of the answer, then the connection drops.
        return { ...(ok(req, stream) as Extract<Reply, { chunks: Buffer[] }>), abortAfter: 2 };
      default:
        return ok(req, stream);
    }
  });
  return p;
}

let anthropic: Provider;
let bedrock: Provider;
let gemini: Provider;
let gw: Gateway;
let stable: FakeUpstream;
let canary: FakeUpstream;
let flaky: Provider;
const logs = captureLogs();

beforeAll(async () => {
  const ant = fixtureJson('openai-anthropic/chat-plain').response.body;
  anthropic = await provider({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, (_req, stream) =>
    stream ? { chunks: chunked(fixture('openai-anthropic/chat-stream', 'upstream.sse')), headers: { 'content-type': 'text/event-stream' }, delayMs: 5 } : { json: ant },
  );
  const converse = fixtureJson('openai-bedrock/chat-plain').response.body;
  bedrock = await provider(
    { message: 'Too many requests' },
    (_req, stream) => (stream ? { chunks: chunked(fixture('openai-bedrock/chat-stream', 'upstream.bin')), headers: { 'content-type': 'application/vnd.amazon.eventstream' }, delayMs: 5 } : { json: converse }),
    // A real Bedrock refuses a request whose signature does not cover what arrived.
    (req) => (verifySigV4(req, 'us-east-1', 'bedrock') ? undefined : { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } }),
  );
  const gen = fixtureJson('openai-gemini/chat-plain').response.body;
  gemini = await provider({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }, (_req, stream) =>
    stream ? { chunks: chunked(fixture('openai-gemini/chat-stream-usage', 'upstream.sse')), headers: { 'content-type': 'text/event-stream' }, delayMs: 5 } : { json: gen },
  );
  const answer = (label: string) => () => ({ json: { id: 'c', object: 'chat.completion', created: 1, model: label, choices: [{ index: 0, message: { role: 'assistant', content: label }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } } });
  stable = await startFakeUpstream(answer('stable'));
  canary = await startFakeUpstream(answer('canary'));
  flaky = await provider({ error: { message: 'down', type: 'server_error', param: null, code: null } }, answer('flaky'));
  const creds = (f: string) => ({ file: `test/fixtures/openai-bedrock/_creds/${f}` });
  gw = await startGateway({
    backends: {
      claude: { provider: 'anthropic', endpoint: anthropic.fake.url, authToken: { kind: 'Inline', inline: 'sk-ant-gw' } },
      'bedrock-claude': { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.fake.url, aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
      gemini: { provider: 'gemini', endpoint: gemini.fake.url, authToken: { kind: 'Inline', inline: 'g-key-gw' } },
      stable: { provider: 'openai', endpoint: stable.url, authToken: { kind: 'Inline', inline: 'sk-stable' } },
      canary: { provider: 'openai', endpoint: canary.url, authToken: { kind: 'Inline', inline: 'sk-canary' } },
      flaky: { provider: 'openai', endpoint: flaky.fake.url, authToken: { kind: 'Inline', inline: 'sk-flaky' } },
    },
    pools: {
      smart: {
        backends: [
          { backend: 'claude', model: 'claude-sonnet-4-5', priority: 0 },
          { backend: 'bedrock-claude', model: 'anthropic.claude-sonnet-4-5-v1:0', priority: 1 },
          { backend: 'gemini', model: 'gemini-2.5-pro', priority: 2 },
        ],
        retry: { attempts: 3, on: [429, '5xx', 'reset', 'connect-failure'], backoff: { base: '10ms', max: '50ms' } },
        timeouts: { firstByte: '1s' },
      },
      mixed: { backends: [{ backend: 'flaky', priority: 0 }, { backend: 'bedrock-claude', model: 'anthropic.claude-3-haiku', priority: 1 }] },
      split: { backends: [{ backend: 'stable', weight: 90 }, { backend: 'canary', weight: 10 }] },
      ejecting: {
        backends: [{ backend: 'flaky', priority: 0 }, { backend: 'stable', priority: 1 }],
        outlierDetection: { consecutiveErrors: 3, interval: '500ms', baseEjectionTime: '2s' },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([anthropic, bedrock, gemini, flaky].map((p) => p?.fake.close()));
  await Promise.all([stable, canary].map((f) => f?.close()));
});

beforeEach(() => {
  for (const p of [anthropic, bedrock, gemini, flaky]) {
    p.script = [];
    p.fake.requests.length = 0;
  }
});

/** The API error a call ends in (a call that succeeds fails the test). */
const apiError = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
  );
const openai = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
const MESSAGES = [{ role: 'user' as const, content: 'Hello!' }];

describe('fallback across providers', () => {
  it('Anthropic 503 -> Bedrock: a SigV4-signed Converse body on the second attempt, an OpenAI answer', async () => {
    anthropic.script = ['503'];
    const res = await openai().chat.completions.create({ model: 'smart', messages: MESSAGES }).withResponse();
    expect(res.data.choices[0]!.message.content).toBe('Hello! How can I help you today?');
    expect(res.response.headers.get('x-llm-backend')).toBe('bedrock-claude');
    expect(anthropic.fake.requests).toHaveLength(1);
    expect(bedrock.fake.requests).toHaveLength(1);
    const b = bedrock.fake.last();
    expect(b.url).toBe('/model/anthropic.claude-sonnet-4-5-v1%3A0/converse');
    expect(JSON.parse(b.body.toString())).toMatchObject({ messages: [{ role: 'user', content: [{ text: 'Hello!' }] }] });
    expect(b.headers['x-api-key']).toBeUndefined();
    const a = anthropic.fake.last();
    expect(a.headers['x-api-key']).toBe('sk-ant-gw');
    const line = await gw.waitForAccessLogEntry((l) => l.answered_by === 'bedrock-claude');
    // Bedrock counts cache reads apart; the gateway's input includes them.
    expect(line).toMatchObject({ backend: 'smart', provider: 'bedrock', attempts: 2, input_tokens: 30, output_tokens: 9, stream_end: 'complete' });
  });

  it('Anthropic 429 with retry-after, Bedrock 503, Gemini answers the stream: one clean stream, counted once, three attempts', async () => {
    anthropic.script = ['429'];
    bedrock.script = ['503'];
    const stream = await openai().chat.completions.create({ model: 'smart', stream: true, stream_options: { include_usage: true }, messages: MESSAGES });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect([anthropic, bedrock, gemini].map((p) => p.fake.requests.length)).toEqual([1, 1, 1]);
    const g = gemini.fake.last();
    expect(g.url).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
    expect(g.headers['x-goog-api-key']).toBe('g-key-gw');
    // Nothing of the earlier attempts rides along: not Anthropic's key, not Bedrock's signature.
    expect(g.headers['x-api-key']).toBeUndefined();
    expect(g.headers.authorization).toBeUndefined();
    expect(g.headers['x-amz-date']).toBeUndefined();
    expect(g.headers['anthropic-version']).toBeUndefined();
    const line = await gw.waitForAccessLogEntry((l) => l.answered_by === 'gemini' && l.attempts === 3);
    expect(line).toMatchObject({ backend: 'smart', provider: 'gemini', request_model: 'gemini-2.5-pro', stream_end: 'complete', total_tokens: usage!.total_tokens });
    const usageLines = logs.usage((l) => l.answeredBy === 'gemini' && l.attempts === 3);
    expect(usageLines).toHaveLength(1);
  });

  it('an Anthropic client: reset before headers, then Bedrock answers in Anthropic’s own shape', async () => {
    anthropic.script = ['reset'];
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'smart' } });
    const msg = await client.messages.create({ model: 'whatever', max_tokens: 64, messages: MESSAGES });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hello! How can I help you today?' });
    expect(bedrock.fake.last().url).toBe('/model/anthropic.claude-sonnet-4-5-v1%3A0/converse');
    expect(anthropic.fake.requests).toHaveLength(1);
  });

  it('Anthropic stalls past the first-byte timeout: Bedrock streams the answer instead', async () => {
    anthropic.script = ['stall'];
    const t0 = Date.now();
    const stream = await openai().chat.completions.create({ model: 'smart', stream: true, messages: MESSAGES });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(bedrock.fake.last().url).toBe('/model/anthropic.claude-sonnet-4-5-v1%3A0/converse-stream');
    await gw.waitForAccessLogEntry((l) => l.answered_by === 'bedrock-claude' && l.stream_end === 'complete' && Number(l.output_tokens) > 0);
  });

  it('a stream that fails after its first byte is not retried: the client sees it end badly', async () => {
    anthropic.script = ['cut'];
    const stream = await openai().chat.completions.create({ model: 'smart', stream: true, messages: MESSAGES });
    const read = (async () => {
      for await (const _ of stream) void _;
    })();
    await expect(read).rejects.toThrow();
    expect(anthropic.fake.requests).toHaveLength(1);
    expect(bedrock.fake.requests).toHaveLength(0);
    expect(gemini.fake.requests).toHaveLength(0);
  });

  it('every member fails: the last provider’s error, in the client’s dialect', async () => {
    anthropic.script = ['503'];
    bedrock.script = ['503'];
    gemini.script = ['429'];
    const err = await apiError(openai().chat.completions.create({ model: 'smart', messages: MESSAGES }));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(429);
    expect(err.headers?.get('retry-after')).toBe('0');
    expect(err.headers?.get('x-llm-backend')).toBe('gemini');
    expect(err.message).toContain('The model is overloaded.');
  });

  it('a member that cannot express the request answers its attempt with the gateway’s 400, in the client’s dialect', async () => {
    flaky.script = ['503'];
    const mixed = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'mixed' } });
    const err = await apiError(mixed.chat.completions.create({ model: 'm', n: 2, messages: MESSAGES }));
    expect(err).toMatchObject({ status: 400, code: 'unsupported_field', param: 'n' });
    expect(err.headers?.get('x-llm-backend')).toBe('bedrock-claude');
    expect(bedrock.fake.requests).toHaveLength(0);
    await gw.waitForAccessLogEntry((l) => l.answered_by === 'bedrock-claude' && l.response_code === 400);
  });

  it('counts retries and fallbacks per backend, and each member attempt by status', async () => {
    const samples = await scrape(gw.adminUrl);
    expect(sampleValue(samples, 'llm_extproc_fallbacks_total', { pool: 'smart', backend: 'gemini' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'llm_extproc_fallbacks_total', { pool: 'smart', backend: 'bedrock-claude' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(samples, 'llm_extproc_retries_total', { backend: 'smart' })).toBeGreaterThanOrEqual(4);
    expect(sampleValue(samples, 'llm_extproc_upstream_attempts_total', { pool: 'smart', backend: 'claude', status: '503' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'llm_extproc_upstream_attempts_total', { pool: 'smart', backend: 'bedrock-claude', status: '200' })).toBeGreaterThanOrEqual(2);
  });
});

describe('weights and ejection', () => {
  it('a weighted pool splits 1,000 requests within 5 % of its weights', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'split' } });
    const seen: Record<string, number> = {};
    for (let i = 0; i < 1000; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => client.chat.completions.create({ model: 'm', messages: MESSAGES })));
      for (const r of batch) seen[r.choices[0]!.message.content!] = (seen[r.choices[0]!.message.content!] ?? 0) + 1;
    }
    expect(seen.stable! + seen.canary!).toBe(1000);
    expect(Math.abs(seen.canary! - 100)).toBeLessThanOrEqual(50);
  });

  it('a member failing every request is ejected: traffic goes to the next without a retry each, and returns when it recovers', async () => {
    // A rate-limit storm counts like an outage.
    flaky.script = ['429', '503', '429'];
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'ejecting' } });
    const ask = async () => (await client.chat.completions.create({ model: 'm', messages: MESSAGES }).withResponse()).response.headers;
    // Three failures in a row: each request falls back (two attempts), and the third ejects flaky.
    for (let i = 0; i < 3; i++) expect((await ask()).get('x-envoy-attempt-count')).toBe('2');
    const before = flaky.fake.requests.length;
    for (let i = 0; i < 10; i++) {
      const h = await ask();
      expect(h.get('x-llm-backend')).toBe('stable');
      expect(h.get('x-envoy-attempt-count')).toBe('1');
    }
    expect(flaky.fake.requests.length).toBe(before);
    // Recovered: once the ejection ends, flaky answers again.
    flaky.script = ['ok'];
    const until = Date.now() + 6000;
    let back = false;
    while (!back && Date.now() < until) {
      back = (await ask()).get('x-llm-backend') === 'flaky';
      if (!back) await sleep(200);
    }
    expect(back).toBe(true);
  });
});
