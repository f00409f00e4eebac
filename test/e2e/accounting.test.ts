// Every token counted, however a stream ends, through a real Envoy: clients that hang up
// right after the last event (a raw socket, the official Python SDK, which stops reading at
// `data: [DONE]`), a client that aborts mid-stream, a server that reports no usage, a
// provider that cannot be reached. Each case checks Envoy's access log, the processor's
// usage log and its metrics against what the fake upstream sent.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/usage/estimate.js';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, type Line, runPython, sampleValue, scrape } from './observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const PY_STREAM = join(import.meta.dirname, 'python', 'stream_chat.py');
const MARKER = 'PROMPT-MARKER-7f3a';
/** The last event and the end of the body are separate writes, a moment apart, as real servers send them. */
const END_DELAY_MS = 25;

const fixture = (pair: string, name: string, file: string) => readFileSync(join(FIXTURES, pair, name, file));
const expectedUsage = (pair: string, name: string) => (JSON.parse(fixture(pair, name, 'case.json').toString()) as { expectUsage: Record<string, number> }).expectUsage;

/** An OpenAI server: SSE with the usage chunk when asked (prompt 11, one token per word), the body's end 25 ms after [DONE]. */
function openaiServer(words: string[], opts: { usage?: boolean; stallAfter?: { events: number; ms: number } } = {}) {
  return (req: { body: Buffer }): Reply => {
    const body = JSON.parse(req.body.toString() || '{}') as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const model = `${body.model}-served`;
    if (!body.stream) return { json: chatCompletion(model, words.join('')) };
    const withUsage = (opts.usage ?? true) && body.stream_options?.include_usage === true;
    return { sse: chatStream(model, words, withUsage), delayMs: 2, endDelayMs: END_DELAY_MS, stallAfter: opts.stallAfter };
  };
}

function chunked(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

interface RawResult {
  text: string;
  /** How many SSE `data:` events had arrived when the socket was closed. */
  events: number;
}

/**
 * A raw HTTP/1.1 client that closes the connection as soon as `stop` says so, without
 * reading on: what SDKs do at `data: [DONE]`, or a user who presses stop.
 */
function rawStream(url: string, body: unknown, headers: Record<string, string>, stop: (received: string) => boolean): Promise<RawResult> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const lines = [
      'POST /v1/chat/completions HTTP/1.1',
      `host: ${hostname}:${port}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(payload)}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n${payload}`));
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      if (stop(received)) {
        socket.destroy();
        resolve({ text: received, events: (received.match(/^data: /gm) ?? []).length });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the gateway closed the connection first; got: ${received.slice(0, 300)}`)));
  });
}

const byBackend = (backend: string) => (l: Line) => l.backend === backend;

let openai: FakeUpstream;
let stall: FakeUpstream;
let noUsage: FakeUpstream;
let anthropic: FakeUpstream;
let bedrock: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();

beforeAll(async () => {
  openai = await startFakeUpstream(openaiServer(['Hel', 'lo ', 'from ', 'openai']));
  stall = await startFakeUpstream(openaiServer(['Once ', 'upon ', 'a ', 'time'], { stallAfter: { events: 3, ms: 4000 } }));
  noUsage = await startFakeUpstream(openaiServer(['Bonjour', ' tout', ' le', ' monde'], { usage: false }));
  const anthropicSse = fixture('openai-anthropic', 'chat-stream', 'upstream.sse');
  anthropic = await startFakeUpstream(() => ({ headers: { 'content-type': 'text/event-stream' }, chunks: chunked(anthropicSse, 97), delayMs: 2, endDelayMs: END_DELAY_MS }));
  const bedrockBin = fixture('openai-bedrock', 'chat-stream', 'upstream.bin');
  bedrock = await startFakeUpstream(() => ({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, chunks: chunked(bedrockBin, 113), delayMs: 2, endDelayMs: END_DELAY_MS }));
  const key = { kind: 'Inline', inline: 'sk-gateway' };
  const creds = (f: string) => ({ file: join(FIXTURES, 'openai-bedrock', '_creds', f) });
  gw = await startGateway({
    backends: {
      'acct-raw': { provider: 'openai', endpoint: openai.url, authToken: key },
      'acct-py-openai': { provider: 'openai', endpoint: openai.url, authToken: key },
      'acct-py-anthropic': { provider: 'anthropic', endpoint: anthropic.url, authToken: key },
      'acct-py-bedrock': {
        provider: 'bedrock',
        region: 'us-east-1',
        endpoint: bedrock.url,
        model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') },
      },
      'acct-abort': { provider: 'openai', endpoint: stall.url, authToken: key },
      'acct-nousage': { provider: 'openai', endpoint: noUsage.url, authToken: key },
      'acct-metrics': { provider: 'openai', endpoint: openai.url, authToken: key },
      // Nothing listens on port 9 (discard) here: Envoy answers 503 itself.
      'acct-down': { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: key },
    },
  });
});

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([openai, stall, noUsage, anthropic, bedrock].map((f) => f?.close()));
});

describe('a client that hangs up right after the last event is counted exactly', () => {
  it('100 raw-socket streams closed at data: [DONE], while the upstream body ends 25 ms later: 100 counted', async () => {
    const n = 100;
    for (let i = 0; i < n; i++) {
      const r = await rawStream(gw.url, { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `${MARKER} ${i}` }] }, { 'x-llm-backend': 'acct-raw' }, (t) => t.includes('data: [DONE]'));
      expect(r.text).toContain('"content":"openai"');
    }
    const lines = (await gw.waitForAccessLog(n, 15_000)).filter((l) => l.backend === 'acct-raw');
    expect(lines).toHaveLength(n);
    // The race is real: Envoy saw most of these clients leave before the upstream's end of stream.
    expect(lines.filter((l) => String(l.response_flags).includes('DC')).length).toBeGreaterThan(n / 2);
    for (const l of lines) {
      expect(l).toMatchObject({ provider: 'openai', request_model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-served', input_tokens: 11, output_tokens: 4, total_tokens: 15, tokens_estimated: false, stream_end: 'complete' });
    }
    const usage = logs.usage(byBackend('acct-raw'));
    expect(usage).toHaveLength(n);
    for (const u of usage) expect(u).toMatchObject({ inputTokens: 11, outputTokens: 4, totalTokens: 15, tokensEstimated: false, streamEnd: 'complete', status: 200 });
    const m = await scrape(gw.adminUrl);
    const labels = { backend: 'acct-raw', gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', gen_ai_response_model: 'gpt-4o-mini-served', error_type: '' };
    expect(sampleValue(m, 'gen_ai_client_token_usage_count', { ...labels, gen_ai_token_type: 'input' })).toBe(n);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' })).toBe(11 * n);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' })).toBe(4 * n);
    expect(sampleValue(m, 'llm_extproc_stream_end_total', { backend: 'acct-raw', stream_end: 'complete' })).toBe(n);
  });

  const PY_CASES = [
    { backend: 'acct-py-openai', model: 'gpt-4o-mini', text: 'Hello from openai', usage: { input_tokens: 11, output_tokens: 4, total_tokens: 15 } },
    { backend: 'acct-py-anthropic', model: 'claude-haiku-4-5', text: 'Hello — ça va?', usage: expectedUsage('openai-anthropic', 'chat-stream') },
    { backend: 'acct-py-bedrock', model: 'gpt-4o', text: 'Hello! How can I help?', usage: expectedUsage('openai-bedrock', 'chat-stream') },
  ];

  it.each(PY_CASES)('the official Python openai SDK streaming from $backend: every stream in the access log, usage log and metrics', async ({ backend, model, text, usage }) => {
    const n = 20;
    const out = await runPython(PY_STREAM, [`${gw.url}/v1`, model, String(n), `x-llm-backend=${backend}`]);
    const streams = out.trim().split('\n').map((l) => JSON.parse(l) as { text: string; chunks: number });
    expect(streams).toHaveLength(n);
    for (const s of streams) expect(s.text).toBe(text);
    const want = { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: usage.total_tokens };
    const entries = await gw.waitForAccessLogEntry(() => gw.accessLog().filter((l) => l.backend === backend).length >= n, 15_000).then(() => gw.accessLog().filter((l) => l.backend === backend));
    expect(entries).toHaveLength(n);
    for (const e of entries) expect(e).toMatchObject({ ...want, tokens_estimated: false, stream_end: 'complete', response_code: 200 });
    const lines = logs.usage(byBackend(backend));
    expect(lines).toHaveLength(n);
    for (const l of lines) expect(l).toMatchObject({ inputTokens: want.input_tokens, outputTokens: want.output_tokens, totalTokens: want.total_tokens, streamEnd: 'complete' });
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { backend, gen_ai_token_type: 'output' })).toBe(n * want.output_tokens!);
    expect(sampleValue(m, 'gen_ai_client_token_usage_count', { backend, gen_ai_token_type: 'output' })).toBe(n);
  });
});

describe('a client that aborts mid-stream', () => {
  it('is counted from what was delivered: input from the request, output estimated, marked estimated and client_cancelled', async () => {
    const prompt = `${MARKER} tell me a story`;
    const r = await rawStream(gw.url, { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }, { 'x-llm-backend': 'acct-abort' }, (t) => (t.match(/^data: /gm) ?? []).length >= 3);
    expect(r.events).toBe(3);
    const [line] = await waitForUsage('acct-abort');
    // Delivered: the role chunk, then "Once " and "upon " (the upstream stalls after its third event).
    const input = countTokens(prompt, 'gpt-4o-mini');
    const output = countTokens('Once upon ', 'gpt-4o-mini');
    expect(line).toMatchObject({ backend: 'acct-abort', streamEnd: 'client_cancelled', errorType: 'client_cancelled', tokensEstimated: true, inputTokens: input, outputTokens: output, totalTokens: input + output, status: 200 });
    // Envoy took no metadata after the client left, but what it had from the request is there.
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'acct-abort');
    expect(entry).toMatchObject({ provider: 'openai', request_model: 'gpt-4o-mini', client_dialect: 'openai', path: '/v1/chat/completions' });
    expect(String(entry.response_flags)).toContain('DC');
    expect(entry.total_tokens).toBeNull();
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { backend: 'acct-abort', gen_ai_token_type: 'input' })).toBe(input);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { backend: 'acct-abort', gen_ai_token_type: 'output' })).toBe(output);
    expect(sampleValue(m, 'llm_extproc_estimated_usage_total', { backend: 'acct-abort' })).toBe(1);
    expect(sampleValue(m, 'llm_extproc_stream_end_total', { backend: 'acct-abort', stream_end: 'client_cancelled' })).toBe(1);
  });
});

describe('estimates and errors', () => {
  it('Anthropic SDK, OpenAI-compatible server that reports no usage, streamed: the output is estimated; the log shows client and upstream path', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'x', defaultHeaders: { 'x-llm-backend': 'acct-nousage' }, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'mistral-small', max_tokens: 50, messages: [{ role: 'user', content: `${MARKER} greet everyone` }] });
    const final = await stream.finalMessage();
    const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toBe('Bonjour tout le monde');
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'acct-nousage');
    const output = countTokens(text, 'mistral-small');
    expect(output).toBeGreaterThan(0);
    expect(entry).toMatchObject({ output_tokens: output, tokens_estimated: true, stream_end: 'complete', path: '/v1/messages', upstream_path: '/v1/chat/completions' });
    expect(entry.total_tokens).toBe(Number(entry.input_tokens) + output);
    const [line] = await waitForUsage('acct-nousage');
    expect(line).toMatchObject({ outputTokens: output, inputTokens: entry.input_tokens, tokensEstimated: true, path: '/v1/messages' });
  });

  it('a provider that cannot be reached: 503 upstream_unavailable, no time to first token', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llm-backend': 'acct-down' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: MARKER }] }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'acct-down');
    expect(entry.ttft_ms).toBeNull();
    expect(entry.input_tokens).toBeNull();
    const [line] = await waitForUsage('acct-down');
    expect(line).toMatchObject({ status: 503, errorType: 'upstream_unavailable', streamEnd: 'complete' });
    expect(line!.ttftMs).toBeUndefined();
  });
});

describe('metrics after known traffic', () => {
  it('GenAI histograms and counters with exact counts and labels', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', defaultHeaders: { 'x-llm-backend': 'acct-metrics' }, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: MARKER }] });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: MARKER }] });
    for await (const _ of stream) {
      // read to the end
    }
    await waitForUsage('acct-metrics', 4);
    const m = await scrape(gw.adminUrl);
    const labels = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', gen_ai_response_model: 'gpt-4o-mini-served', backend: 'acct-metrics', error_type: '' };
    // Plain: 12 in, 7 out each (the fake's chatCompletion); the stream: 11 in, 4 out.
    expect(sampleValue(m, 'gen_ai_client_token_usage_count', { ...labels, gen_ai_token_type: 'input' })).toBe(4);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' })).toBe(3 * 12 + 11);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' })).toBe(3 * 7 + 4);
    expect(sampleValue(m, 'gen_ai_client_token_usage_bucket', { ...labels, gen_ai_token_type: 'output', le: '4' })).toBe(1);
    expect(sampleValue(m, 'gen_ai_client_token_usage_bucket', { ...labels, gen_ai_token_type: 'output', le: '16' })).toBe(4);
    expect(sampleValue(m, 'gen_ai_server_request_duration_seconds_count', labels)).toBe(4);
    // Time to first token and per output token: successful streams only.
    expect(sampleValue(m, 'gen_ai_server_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(sampleValue(m, 'gen_ai_server_time_per_output_token_seconds_count', labels)).toBe(1);
    expect(sampleValue(m, 'llm_extproc_cached_input_tokens_total', labels)).toBe(2);
    expect(sampleValue(m, 'llm_extproc_requests_total', { backend: 'acct-metrics', route_type: 'completions', status: '200' })).toBe(4);
    expect(sampleValue(m, 'llm_extproc_streams_active', {})).toBeGreaterThanOrEqual(0);
  });

  it('no prompt or completion text in any log line', () => {
    expect(logs.lines.length).toBeGreaterThan(100);
    for (const l of logs.lines) expect(JSON.stringify(l)).not.toContain(MARKER);
  });
});

async function waitForUsage(backend: string, n = 1, timeoutMs = 5000): Promise<Line[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = logs.usage(byBackend(backend));
    if (lines.length >= n) return lines;
    if (Date.now() > until) throw new Error(`${lines.length} usage lines for ${backend}, wanted ${n}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('errors the gateway answers itself', () => {
  it('are in the access log with the client path, backend and status (metadata rides on the immediate response)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions?key=sk-query-secret`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'acct-metrics' }, body: '{"model":' });
    expect(res.status).toBe(400);
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'acct-metrics' && l.response_code === 400);
    expect(entry).toMatchObject({ path: '/v1/chat/completions', client_dialect: 'openai', provider: 'openai' });
    // Query strings (where clients may put keys) are in neither path.
    expect(JSON.stringify(entry)).not.toContain('sk-query-secret');
    const [line] = await waitForUsage('acct-metrics', 5).then((l) => l.filter((x) => x.status === 400));
    expect(line).toMatchObject({ errorType: 'invalid_json', streamEnd: 'complete' });
    expect(JSON.stringify(logs.lines)).not.toContain('sk-query-secret');
  });
});
