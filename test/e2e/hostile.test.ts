// Hostile and broken input through a real Envoy: every case is a 4xx or a clear 5xx in the
// client's own error shape, never a 500 internal_error, never an empty or silent answer,
// and a request the gateway refuses never reaches (or bills) a provider.
import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/usage/eventstream.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';

type Shape = 'openai' | 'anthropic' | 'gemini';

/** A JSON Schema nested `depth` levels deep, as text: JSON.stringify itself would overflow the stack on it. */
const NESTED = (depth: number) => `${'{"type":"object","properties":{"x":'.repeat(depth)}{"type":"string"}${'}}'.repeat(depth)}`;
/** The body with `"__NESTED__"` replaced by a schema nested 3,000 levels deep. */
const deep = (body: unknown) => JSON.stringify(body).replace('"__NESTED__"', NESTED(3000));

/** The gateway's error in each dialect's shape: the code and the message as a client reads them. */
function errorOf(shape: Shape, body: unknown): { code: string; message: string } {
  const b = body as Record<string, any>;
  if (shape === 'openai') return { code: b.error.code, message: b.error.message };
  if (shape === 'anthropic') {
    expect(b.type).toBe('error');
    const [code, ...rest] = String(b.error.message).split(': ');
    return { code: code!, message: rest.join(': ') };
  }
  expect(typeof b.error.status).toBe('string');
  const [code, ...rest] = String(b.error.message).split(': ');
  return { code: code!, message: rest.join(': ') };
}

let anthropic: FakeUpstream;
let openai: FakeUpstream;
let gemini: FakeUpstream;
let bedrock: FakeUpstream;
let gw: Gateway;
const creds = (f: string) => ({ file: `test/fixtures/openai-bedrock/_creds/${f}` });

beforeAll(async () => {
  anthropic = await startFakeUpstream(() => ({ json: {} }));
  openai = await startFakeUpstream(() => ({ json: {} }));
  gemini = await startFakeUpstream(() => ({ json: {} }));
  bedrock = await startFakeUpstream(() => ({ json: {} }));
  const key = { kind: 'Inline', inline: 'sk-gw' };
  gw = await startGateway(
    {
      backends: {
        anthropic: { provider: 'anthropic', endpoint: anthropic.url, authToken: key },
        openai: { provider: 'openai', endpoint: openai.url, authToken: key },
        'openai-base': { provider: 'openai', endpoint: `${openai.url}/api/v1`, authToken: key, routes: { '/v1/chat/completions': 'completions', '*': 'passthrough' } },
        gemini: { provider: 'gemini', endpoint: gemini.url, authToken: key },
        bedrock: { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, model: 'anthropic.claude-3-haiku', aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
        resets: { provider: 'anthropic', endpoint: 'http://127.0.0.1:9', authToken: key },
        slow: { provider: 'anthropic', endpoint: anthropic.url, authToken: key, timeouts: { firstByte: '1s' } },
      },
      models: [{ match: 'gemini-*', backend: 'gemini' }],
      paths: [{ regex: '^/by-query/chat$', backend: 'openai', rewrite: '/v1/$(query_params.op)' }],
    }
  );
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([anthropic, openai, gemini, bedrock].map((f) => f?.close()));
});

async function send(path: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // an event stream, or empty
  }
  return { status: res.status, headers: res.headers, text, json };
}

const chat = (messages: unknown, extra: Record<string, unknown> = {}) => ({ model: 'claude-sonnet-4-5', messages, ...extra });
const msgs = (messages: unknown, extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', max_tokens: 50, messages, ...extra });
const OPENAI = { path: '/v1/chat/completions', shape: 'openai' as Shape };
const ANTHROPIC = { path: '/v1/messages', shape: 'anthropic' as Shape, headers: { 'anthropic-version': '2023-06-01' } };

interface Case {
  name: string;
  client: { path: string; shape: Shape; headers?: Record<string, string> };
  backend: string;
  body: unknown;
  /** The JSON path the message must name. */
  param: string;
}

const BAD_BODIES: Case[] = [
  { name: 'OpenAI → Anthropic: messages [null]', client: OPENAI, backend: 'anthropic', body: chat([null]), param: 'messages[0]' },
  { name: 'OpenAI → Anthropic: a user content that is an object', client: OPENAI, backend: 'anthropic', body: chat([{ role: 'user', content: { text: 'hi' } }]), param: 'messages[0].content' },
  { name: 'OpenAI → Anthropic: tools "x"', client: OPENAI, backend: 'anthropic', body: chat([{ role: 'user', content: 'hi' }], { tools: 'x' }), param: 'tools' },
  { name: 'OpenAI → Anthropic: a tool_calls entry without function', client: OPENAI, backend: 'anthropic', body: chat([{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function' }] }]), param: 'messages[1].tool_calls[0].function' },
  { name: 'OpenAI → Anthropic: tool parameters nested 3,000 levels deep', client: OPENAI, backend: 'anthropic', body: deep(chat([{ role: 'user', content: 'hi' }], { tools: [{ type: 'function', function: { name: 'f', parameters: '__NESTED__' } }] })), param: 'tools[0].function.parameters' },
  { name: 'OpenAI → Gemini: content [null]', client: OPENAI, backend: 'gemini', body: { ...chat([{ role: 'user', content: [null] }]), model: 'gemini-2.0-flash' }, param: 'messages[0].content[0]' },
  { name: 'Anthropic → OpenAI: content 5', client: ANTHROPIC, backend: 'openai', body: msgs([{ role: 'user', content: 5 }]), param: 'messages[0].content' },
  { name: 'Anthropic → OpenAI: messages [null]', client: ANTHROPIC, backend: 'openai', body: msgs([null]), param: 'messages[0]' },
  { name: 'Anthropic → OpenAI: system 5', client: ANTHROPIC, backend: 'openai', body: msgs([{ role: 'user', content: 'hi' }], { system: 5 }), param: 'system' },
  { name: 'Anthropic → OpenAI: content [null]', client: ANTHROPIC, backend: 'openai', body: msgs([{ role: 'user', content: [null] }]), param: 'messages[0].content[0]' },
  { name: 'Anthropic → OpenAI: input_schema nested 3,000 levels deep', client: ANTHROPIC, backend: 'openai', body: deep(msgs([{ role: 'user', content: 'hi' }], { tools: [{ name: 'f', input_schema: '__NESTED__' }] })), param: 'tools[0].input_schema' },
  { name: 'Anthropic → OpenAI: max_tokens "10" (a wrong type is a 400, not a silent drop)', client: ANTHROPIC, backend: 'openai', body: msgs([{ role: 'user', content: 'hi' }], { max_tokens: '10' }), param: 'max_tokens' },
  { name: 'Anthropic → Bedrock: a tool_use block without an id', client: ANTHROPIC, backend: 'bedrock', body: msgs([{ role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }]), param: 'messages[0].content[0].id' },
  { name: 'model with CR/LF (it would be echoed in x-llm-model)', client: OPENAI, backend: 'anthropic', body: { ...chat([{ role: 'user', content: 'hi' }]), model: 'claude\r\nx-injected: 1' }, param: 'model' },
  { name: 'model with NUL', client: ANTHROPIC, backend: 'openai', body: { ...msgs([{ role: 'user', content: 'hi' }]), model: 'gpt\u0000x' }, param: 'model' },
  { name: 'model of 80 KiB', client: OPENAI, backend: 'openai', body: { model: 'm'.repeat(80 * 1024), messages: [{ role: 'user', content: 'hi' }] }, param: 'model' },
];

describe('bodies of the right dialect with wrong types or shapes', () => {
  it.each(BAD_BODIES)('$name: 400 invalid_request naming $param, in the client’s shape, and no provider call', async (c) => {
    const upstream = { anthropic, openai, gemini, bedrock }[c.backend as 'anthropic']!;
    const before = upstream.requests.length;
    const r = await send(c.client.path, c.body, { 'x-llm-backend': c.backend, ...c.client.headers });
    expect(r.status, r.text).toBe(400);
    const e = errorOf(c.client.shape, r.json);
    expect(e.code).toBe('invalid_request');
    expect(e.message.startsWith(c.param), e.message).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it('a template value with CR/LF (a decoded query parameter) is a 400, not a broken :path', async () => {
    const before = openai.requests.length;
    const r = await send('/by-query/chat?op=chat%2Fcompletions%0d%0ax-injected:%201', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, {});
    expect(r.status).toBe(400);
    expect(errorOf('openai', r.json)).toMatchObject({ code: 'invalid_request', message: '$(query_params.op) holds control characters' });
    expect(openai.requests.length).toBe(before);
  });

  it('a malformed %-escape in a Gemini path is a 400 in Google’s shape', async () => {
    const r = await send('/v1beta/models/%zz:generateContent', { contents: [{ parts: [{ text: 'hi' }] }] }, { 'x-llm-backend': 'gemini' });
    expect(r.status).toBe(400);
    expect((r.json as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
    expect(errorOf('gemini', r.json).code).toBe('invalid_request');
  });
});

describe('answers that must not pass as success', () => {
  it('an Anthropic 200 with an empty body is a 502 upstream_response_invalid for an OpenAI client', async () => {
    anthropic.reply = () => ({ text: '', headers: { 'content-type': 'application/json' } });
    const r = await send('/v1/chat/completions', chat([{ role: 'user', content: 'hi' }]), { 'x-llm-backend': 'anthropic' });
    expect(r.status).toBe(502);
    expect(errorOf('openai', r.json).code).toBe('upstream_response_invalid');
  });

  it('stream: true to Gemini answering plain JSON still streams the answer to an OpenAI SDK', async () => {
    gemini.reply = () => ({ json: [{ candidates: [{ content: { role: 'model', parts: [{ text: 'Whole answer' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 }, modelVersion: 'gemini-2.0-flash' }] });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', defaultHeaders: { 'x-llm-backend': 'gemini' }, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gemini-2.0-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Whole answer');
  });

  it('a Bedrock event stream that turns to garbage: every whole frame reaches the client, then an error, however TCP cut it', async () => {
    const frame = (event: string, body: object) => Buffer.from(encodeEvent({ ':event-type': event, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(body)));
    const frames = Buffer.concat([frame('messageStart', { role: 'assistant' }), frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }), frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' there' } })]);
    const garbage = Buffer.from('\u0000\u0000\u0000\u0003garbage that is no frame');
    const bodies: string[] = [];
    for (const chunks of [[Buffer.concat([frames, garbage])], [frames, garbage]]) {
      bedrock.reply = () => ({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, chunks, delayMs: 20 });
      const r = await send('/v1/chat/completions', { model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-llm-backend': 'bedrock' });
      expect(r.status).toBe(200);
      bodies.push(r.text.replace(/"created":\d+/g, '').replace(/"id":"chatcmpl-[^"]*"/g, ''));
    }
    expect(bodies[0]).toBe(bodies[1]);
    expect(bodies[0]).toContain('"content":"Hello"');
    expect(bodies[0]).toContain('"content":" there"');
    expect(bodies[0]).toMatch(/data: \{"error":\{[^\n]*the Bedrock stream broke/);
  });

  it('a connection reset before response headers on a translated route: upstream_unavailable in the client’s shape', async () => {
    const o = await send('/v1/chat/completions', chat([{ role: 'user', content: 'hi' }]), { 'x-llm-backend': 'resets' });
    expect(o.status).toBe(503);
    expect(errorOf('openai', o.json).code).toBe('upstream_unavailable');
    const a = await send('/v1/messages', { ...msgs([{ role: 'user', content: 'hi' }]), model: 'claude-x' }, { 'x-llm-backend': 'resets', ...ANTHROPIC.headers });
    expect(a.status).toBe(503);
    expect(errorOf('anthropic', a.json).code).toBe('upstream_unavailable');
  });

  it('a provider’s own x-llm-error-code header cannot pass its body off as Envoy’s', async () => {
    anthropic.reply = () => ({ status: 429, headers: { 'x-llm-error-code': 'spoofed' }, json: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } });
    const r = await send('/v1/chat/completions', chat([{ role: 'user', content: 'hi' }]), { 'x-llm-backend': 'anthropic' });
    expect(r.status).toBe(429);
    // Translated into OpenAI's shape (the header did not make it skip translation).
    expect((r.json as { error: { type: string; message: string } }).error).toMatchObject({ type: 'rate_limit_error', message: 'slow down' });
  });
});

describe('Envoy’s own replies in the client’s shape', () => {
  it('a configured timeout is a 504 upstream_timeout', async () => {
    anthropic.reply = async () => {
      await new Promise((ok) => setTimeout(ok, 2500));
      return { json: {} };
    };
    const r = await send('/v1/messages', { ...msgs([{ role: 'user', content: 'hi' }]), model: 'claude-x' }, { 'x-llm-backend': 'slow', ...ANTHROPIC.headers });
    expect(r.status).toBe(504);
    expect(errorOf('anthropic', r.json).code).toBe('upstream_timeout');
  });

  it('a body over Envoy’s buffer limit (sent without content-length) is a 413 request_too_large', async () => {
    const big = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] }));
    const r = await rawRequest(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-llm-backend: openai\r\ntransfer-encoding: chunked\r\n\r\n`, Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from('\r\n0\r\n\r\n')]));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('request_too_large');
  });

  it('request headers over the limit are a 431 request_headers_too_large in the client’s shape, not a closed connection', async () => {
    const r = await rawRequest(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nanthropic-version: 2023-06-01\r\nx-big: ${'a'.repeat(70 * 1024)}\r\ncontent-length: 2\r\n\r\n`, Buffer.from('{}'));
    expect(r.status).toBe(431);
    expect(errorOf('anthropic', JSON.parse(r.body)).code).toBe('request_headers_too_large');
  });
});

describe('routing a user expects', () => {
  it('models rules match the model a Gemini URL names (google-genai clients send no model in the body)', async () => {
    gemini.reply = () => ({ json: { candidates: [{ content: { role: 'model', parts: [{ text: 'routed by URL' }] }, finishReason: 'STOP' }] } });
    const before = gemini.requests.length;
    const r = await send('/v1beta/models/gemini-2.0-flash:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, {});
    expect(r.status, r.text).toBe(200);
    expect(gemini.requests.length).toBe(before + 1);
  });

  it('an endpoint with a base path (OpenRouter-, Groq-style) keeps it, on completions and passthrough routes', async () => {
    openai.reply = (req) => ({ json: req.url.includes('/models') ? { object: 'list', data: [] } : { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] } });
    const r = await send('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { 'x-llm-backend': 'openai-base' });
    expect(r.status).toBe(200);
    expect(openai.last().url).toBe('/api/v1/chat/completions');
    const m = await fetch(`${gw.url}/v1/models`, { headers: { 'x-llm-backend': 'openai-base' } });
    expect(m.status).toBe(200);
    expect(openai.last().url).toBe('/api/v1/models');
  });
});

describe('the processor unreachable (fail closed)', () => {
  it('is a 503 processor_unavailable in each client’s shape, and nothing reaches a provider', async () => {
    const before = openai.requests.length + anthropic.requests.length + gemini.requests.length;
    await gw.processor.stop(100);
    const o = await send('/v1/chat/completions', { model: 'm', messages: [] }, { 'x-llm-backend': 'openai' });
    expect(o.status).toBe(503);
    expect(errorOf('openai', o.json).code).toBe('processor_unavailable');
    const a = await send('/v1/messages', msgs([]), ANTHROPIC.headers);
    expect(a.status).toBe(503);
    expect(errorOf('anthropic', a.json).code).toBe('processor_unavailable');
    const g = await send('/v1beta/models/gemini-2.0-flash:generateContent', { contents: [] }, {});
    expect(g.status).toBe(503);
    expect(errorOf('gemini', g.json).code).toBe('processor_unavailable');
    expect(openai.requests.length + anthropic.requests.length + gemini.requests.length).toBe(before);
  });
});

/** One raw HTTP/1.1 exchange (for what fetch cannot send: chunked bodies, oversized headers). */
function rawRequest(head: string, body: Buffer): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname);
    let got = Buffer.alloc(0);
    s.on('connect', () => {
      s.write(head);
      s.write(body, () => undefined);
    });
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const r = parseResponse(got.toString());
      if (r) {
        s.destroy();
        resolve(r);
      }
    });
    // Envoy may close after its reply while the body is still being written.
    s.on('error', (e) => (got.length ? undefined : reject(e)));
    s.on('close', () => {
      const r = parseResponse(got.toString());
      if (r) resolve(r);
      else reject(new Error(`closed without a whole response: ${got.toString().slice(0, 200)}`));
    });
  });
}

/** A whole HTTP/1.1 response (content-length or chunked), or undefined while more is to come. */
function parseResponse(text: string): { status: number; body: string } | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = text.slice(0, end);
  const rest = text.slice(end + 4);
  const status = Number(head.slice(9, 12));
  const len = /content-length: (\d+)/i.exec(head);
  if (len) return rest.length >= Number(len[1]) ? { status, body: rest.slice(0, Number(len[1])) } : undefined;
  if (!/transfer-encoding: chunked/i.test(head)) return undefined;
  let body = '';
  let at = 0;
  for (;;) {
    const nl = rest.indexOf('\r\n', at);
    if (nl < 0) return undefined;
    const size = Number.parseInt(rest.slice(at, nl), 16);
    if (size === 0) return { status, body };
    if (rest.length < nl + 2 + size) return undefined;
    body += rest.slice(nl + 2, nl + 2 + size);
    at = nl + 2 + size + 2;
  }
}
