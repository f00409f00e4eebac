// Every golden translator case again, end to end: the official SDK of the client's
// dialect (openai, @anthropic-ai/sdk), unchanged, talks to a real Envoy; the processor
// translates; a fake provider checks what it receives (path, auth placement, body) and
// answers with the fixture's realistic body or stream, sent in several chunks. What the
// SDK parses must equal the golden expectation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../src/usage/sse.js';
import { headerMismatches, mismatches } from '../helpers/match.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

interface Case {
  backend: Record<string, unknown>;
  config?: unknown;
  request: { method?: string; path: string; headers?: Record<string, string>; body?: Record<string, unknown> };
  expectUpstream?: { path?: string; headers?: Record<string, string | null>; body?: unknown };
  response?: { status: number; headers?: Record<string, string>; body?: unknown; bodyFile?: string };
  expectClient?: { status?: number; body?: unknown; bodyFile?: string };
  expectError?: { status: number; code: string };
}

interface Loaded {
  pair: string;
  name: string;
  dir: string;
  c: Case;
  backendName: string;
}

/** Pairs whose client dialect has an SDK in this suite; Gemini-native clients are covered in google-azure.test.ts and dialect-matrix.test.ts. */
const PAIRS = ['openai-anthropic', 'openai-gemini', 'openai-bedrock', 'openai-azureopenai', 'openai-vertexai', 'anthropic-anthropic', 'anthropic-openai', 'anthropic-bedrock', 'anthropic-azureopenai', 'anthropic-gemini'];

function load(): Loaded[] {
  const out: Loaded[] = [];
  for (const pair of PAIRS) {
    const dir = join(FIXTURES, pair);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, 'case.json');
      if (!existsSync(file)) continue;
      const c = JSON.parse(readFileSync(file, 'utf8')) as Case;
      // Cases that need their own top-level config, custom request headers or paths are
      // seed scenarios with dedicated e2e tests.
      if (c.config || !c.request.body || c.request.path.includes('?')) continue;
      // Endpoint defaults (host-dependent behaviour) and request-only cases stay golden-only.
      if (!String(c.backend.endpoint ?? '').startsWith('http://127.0.0.1') || (!c.response && !c.expectError)) continue;
      if (!/\/v1\/(chat\/completions|embeddings|messages)$/.test(c.request.path)) continue;
      out.push({ pair, name, dir: join(dir, name), c, backendName: `${pair}.${name}` });
    }
  }
  return out;
}

const cases = load();
let fake: FakeUpstream;
let gw: Gateway;
const byBackend = new Map(cases.map((l) => [l.backendName, l]));

function responseFor(l: Loaded): Reply {
  const r = { ...l.c.response! };
  // Fixture headers may name the length of a differently formatted body: let Node frame it.
  r.headers = Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'));
  if (r.bodyFile) {
    const bytes = readFileSync(join(l.dir, r.bodyFile));
    if (r.bodyFile.endsWith('.json')) return { status: r.status, headers: r.headers, text: bytes.toString() };
    // Real chunking: the stream arrives in pieces with gaps, cut anywhere.
    const size = Math.max(1, Math.ceil(bytes.length / 5));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    return { status: r.status, headers: r.headers, chunks, delayMs: 3 };
  }
  return { status: r.status, headers: r.headers, text: r.body === undefined ? '' : JSON.stringify(r.body) };
}

beforeAll(async () => {
  fake = await startFakeUpstream((req: Recorded) => {
    const l = byBackend.get(String(req.headers['x-llm-backend']));
    if (!l?.c.response) return { status: 599, json: { error: 'no fixture for this backend' } };
    return responseFor(l);
  });
  const backends: Record<string, unknown> = {};
  for (const l of cases) backends[l.backendName] = { ...l.c.backend, endpoint: fake.url };
  gw = await startGateway({ backends });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

function sseData(text: string): unknown[] {
  const p = new SseParser();
  const evs = p.push(Buffer.from(text));
  const rest = p.flush();
  if (rest) evs.push(rest);
  // SDKs do not surface keep-alive pings as stream items.
  return evs.filter((e) => e.data !== undefined && e.data !== '[DONE]' && e.event !== 'ping').map((e) => JSON.parse(e.data!));
}

function expectedClient(l: Loaded): unknown {
  const ec = l.c.expectClient;
  if (ec?.bodyFile) {
    const text = readFileSync(join(l.dir, ec.bodyFile), 'utf8');
    return ec.bodyFile.endsWith('.json') ? JSON.parse(text) : sseData(text);
  }
  return ec?.body;
}

/** Sends the fixture's request with the dialect's official SDK; returns the parsed result or stream items. */
async function callWithSdk(l: Loaded): Promise<unknown> {
  const headers = { 'x-llm-backend': l.backendName, ...l.c.request.headers };
  const body = structuredClone(l.c.request.body!);
  if (l.pair.startsWith('openai-')) {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-key', defaultHeaders: headers, maxRetries: 0 });
    if (l.c.request.path.endsWith('/embeddings')) return client.embeddings.create(body as never);
    const res = await client.chat.completions.create(body as never);
    if (!body.stream) return res;
    const items: unknown[] = [];
    for await (const chunk of res as unknown as AsyncIterable<unknown>) items.push(chunk);
    return items;
  }
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client-key', defaultHeaders: headers, maxRetries: 0 });
  const res = await client.messages.create(body as never);
  if (!body.stream) return res;
  const items: unknown[] = [];
  for await (const ev of res as unknown as AsyncIterable<unknown>) items.push(ev);
  return items;
}

describe.each([...new Set(cases.map((l) => l.pair))])('%s through Envoy with the official SDK', (pair) => {
  it.each(cases.filter((l) => l.pair === pair).map((l) => [l.name, l] as const))('%s', async (_name, l) => {
    const before = fake.requests.length;
    const wantStatus = l.c.expectError?.status ?? l.c.expectClient?.status ?? l.c.response?.status ?? 200;
    let result: unknown;
    let error: { status?: number; error?: unknown } | undefined;
    try {
      result = await callWithSdk(l);
    } catch (err) {
      error = err as { status?: number };
    }
    if (l.c.expectError && !l.c.response) {
      // Refused by the gateway before anything reached the provider.
      expect(error?.status).toBe(l.c.expectError.status);
      expect(JSON.stringify(error?.error)).toContain(l.c.expectError.code);
      expect(fake.requests.length).toBe(before);
      return;
    }
    const up = fake.requests.at(-1)!;
    expect(fake.requests.length).toBe(before + 1);
    if (l.c.expectUpstream?.path) expect(up.url).toBe(l.c.expectUpstream.path);
    const hdrs = Object.fromEntries(Object.entries(l.c.expectUpstream?.headers ?? {}).filter(([k]) => !k.startsWith(':') && k !== 'x-llm-backend'));
    expect(headerMismatches(hdrs, up.headers as Record<string, string>)).toEqual([]);
    expect(JSON.stringify(up.headers)).not.toContain('client-key');
    if (l.c.expectUpstream?.body !== undefined) expect(mismatches(l.c.expectUpstream.body, JSON.parse(up.body.toString()))).toEqual([]);
    const want = expectedClient(l);
    if (l.c.expectError) {
      // Found broken only once the response had started: the client sees a failed response
      // (a 502 when the body was buffered, a reset stream otherwise), never a silent success.
      expect(error, `expected the SDK to fail, got ${JSON.stringify(result)?.slice(0, 200)}`).toBeDefined();
      if (!l.c.request.body?.stream) {
        // A whole body is buffered before the headers leave Envoy: a proper status and error body.
        expect(error?.status).toBe(l.c.expectError.status);
        expect(JSON.stringify(error?.error)).toContain(l.c.expectError.code);
      } else if (error?.status !== undefined) expect(error.status).toBe(l.c.expectError.status);
      return;
    }
    const streamError = Array.isArray(want) ? (want as { type?: string; error?: { message?: string } }[]).find((e) => e.type === 'error' || e.error) : undefined;
    if (streamError) {
      // An error event inside a stream: the SDK raises it after the events before it.
      expect(error, 'the SDK should raise the in-stream error').toBeDefined();
      expect(String((error as Error).message)).toContain(streamError.error?.message ?? '');
      return;
    }
    if (wantStatus >= 400) {
      expect(error?.status, `expected an API error, got ${JSON.stringify(result)?.slice(0, 200)}`).toBe(wantStatus);
      if (want) expect(mismatches(pair.startsWith('openai-') ? (want as { error?: unknown }).error : want, error!.error)).toEqual([]);
      return;
    }
    if (error) throw error;
    if (want !== undefined) expect(mismatches(want, JSON.parse(JSON.stringify(result)))).toEqual([]);
  });
});
