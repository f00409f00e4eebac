// Per-backend timeouts and retries, done by Envoy from the generated bootstrap, through a
// real Envoy: a provider that never answers is a 504 in the client's dialect within the
// configured time; a long stream is not cut by the first-byte timeout; a 429 with
// retry-after, a 503 or a reset is retried, counted once, with the attempts recorded.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, sampleValue, scrape } from './observe.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

let stall: FakeUpstream;
let flaky: FakeUpstream;
let anthropic: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();
/** How each fake should answer its next requests, in order (then the last one again). */
let flakyScript: ('429' | '503' | 'reset' | 'ok')[] = [];

beforeAll(async () => {
  stall = await startFakeUpstream(async (req) => {
    if ((JSON.parse(req.body.toString()) as { model: string }).model === 'never') await sleep(5000);
    return { sse: chatStream('m', ['slow ', 'but ', 'steady'], false), delayMs: 700 };
  });
  flaky = await startFakeUpstream(async () => {
    const next = flakyScript.length > 1 ? flakyScript.shift()! : (flakyScript[0] ?? 'ok');
    if (next === '429') return { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null } } };
    if (next === '503') return { status: 503, json: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } };
    if (next === 'reset') return { reset: true };
    return { json: chatCompletion('gpt-4o-mini-2024', 'third time lucky') };
  });
  anthropic = await startFakeUpstream(() => {
    const next = flakyScript.length > 1 ? flakyScript.shift()! : (flakyScript[0] ?? 'ok');
    if (next === '503') return { status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
    return { json: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'retried into Claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 4 } } };
  });
  const key = { kind: 'Inline', inline: 'sk-gw' };
  gw = await startGateway({
    backends: {
      'first-byte': { provider: 'openai', endpoint: stall.url, authToken: key, timeouts: { firstByte: '1s' } },
      'stream-idle': { provider: 'openai', endpoint: stall.url, authToken: key, timeouts: { streamIdle: '300ms' } },
      'whole-request': { provider: 'openai', endpoint: stall.url, authToken: key, timeouts: { request: '1s' } },
      retrying: { provider: 'openai', endpoint: flaky.url, authToken: key, retry: { attempts: 3, on: [429, '5xx', 'reset'], backoff: { base: '50ms', max: '200ms' } } },
      'no-retry': { provider: 'openai', endpoint: flaky.url, authToken: key },
      claude: { provider: 'anthropic', endpoint: anthropic.url, authToken: key, retry: { attempts: 2, on: [529] } },
    },
  });
});

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([stall, flaky, anthropic].map((f) => f?.close()));
});

const client = (backend: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', defaultHeaders: { 'x-llm-backend': backend }, maxRetries: 0 });

describe('timeouts', () => {
  it('a provider that sends nothing: 504 upstream_timeout in the client’s shape, after the first-byte timeout', async () => {
    const t0 = Date.now();
    const err = await client('first-byte')
      .chat.completions.create({ model: 'never', messages: MESSAGES })
      .catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);
  });

  it('the first-byte timeout does not cut a stream that takes longer once it has started', async () => {
    const stream = await client('first-byte').chat.completions.create({ model: 'm', stream: true, messages: MESSAGES });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('slow but steady');
  });

  it('a stream silent for longer than streamIdle is cut', async () => {
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'stream-idle' }, body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }) });
    const text = await res.text().catch(() => 'cut');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(text).not.toContain('steady');
  });

  it('the whole request, a streamed answer included, is bounded by timeouts.request', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'whole-request' }, body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }) });
    expect(res.status).toBe(200);
    const text = await res.text().catch(() => 'cut');
    expect(text).not.toContain('steady');
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'whole-request');
    expect(entry.response_code_details).toBe('max_duration_timeout');
    expect(Number(entry.duration_ms)).toBeLessThan(1500);
  });
});

describe('retries', () => {
  it('429 with retry-after, then 503, then an answer: one clean answer, counted once, three attempts recorded', async () => {
    flakyScript = ['429', '503', 'ok'];
    const before = flaky.requests.length;
    const t0 = Date.now();
    const res = await client('retrying').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    expect(res.choices[0]!.message.content).toBe('third time lucky');
    expect(flaky.requests.length - before).toBe(3);
    // retry-after: 1 was honoured before the second attempt.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'retrying');
    expect(entry).toMatchObject({ attempts: 3, answered_by: 'retrying', input_tokens: 12, output_tokens: 7, response_code: 200 });
    const usage = logs.usage((l) => l.backend === 'retrying');
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ attempts: 3, inputTokens: 12, status: 200 });
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'llm_extproc_requests_total', { backend: 'retrying', route_type: 'completions', status: '200' })).toBe(1);
  });

  it('a connection reset before the answer is retried', async () => {
    flakyScript = ['reset', 'ok'];
    const before = flaky.requests.length;
    const res = await client('retrying').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    expect(res.choices[0]!.message.content).toBe('third time lucky');
    expect(flaky.requests.length - before).toBe(2);
  });

  it('without a retry policy a 429 reaches the client, in its shape, with its retry-after', async () => {
    flakyScript = ['429', 'ok'];
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'no-retry' }, body: JSON.stringify({ model: 'm', messages: MESSAGES }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-envoy-attempt-count')).toBe('1');
    flakyScript = [];
  });

  it('a translated request is retried as translated: an OpenAI client, Claude overloaded once', async () => {
    flakyScript = ['503', 'ok'];
    const before = anthropic.requests.length;
    const res = await client('claude').chat.completions.create({ model: 'claude-x', messages: MESSAGES });
    expect(res.choices[0]!.message.content).toBe('retried into Claude');
    const [first, second] = anthropic.requests.slice(before);
    expect(second!.body.toString()).toBe(first!.body.toString());
    expect(JSON.parse(second!.body.toString())).toMatchObject({ model: 'claude-x', max_tokens: 4096 });
    expect(second!.headers['x-api-key']).toBe('sk-gw');
    flakyScript = [];
  });
});
