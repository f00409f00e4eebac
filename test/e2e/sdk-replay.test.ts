// The golden fixtures of OpenAI clients (Responses create, Chat Completions) and Anthropic
// clients (Messages, count_tokens), replayed through a real Envoy and the processor with the
// official *Python* SDKs, the clients our users' agents and scripts most often are. Each fixture's provider answer is served by
// a fake upstream of its own, which also checks the request reached the fixture's upstream
// path; the SDK then parses what the gateway made of it, with its stream helpers for
// streams (responses.stream accumulates the typed events and refuses a sequence it cannot
// follow; messages.stream builds the message from its events). What the SDK ends up with
// must be what the fixture says the client gets: the same object (for a stream, the
// response.completed one, or the message the events add up to), and for a refusal the same
// status and error code.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../src/usage/sse.js';
import { mismatches } from '../helpers/match.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { runPython } from './observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const PY_OPENAI = join(import.meta.dirname, 'python', 'replay_openai.py');
const PY_ANTHROPIC = join(import.meta.dirname, 'python', 'replay_anthropic.py');

interface Case {
  backend: Record<string, unknown>;
  config?: unknown;
  request: { method?: string; path: string; headers?: Record<string, string>; body?: Record<string, unknown> };
  expectUpstream?: { path?: string };
  response?: { status: number; headers?: Record<string, string>; body?: unknown; bodyFile?: string };
  expectClient?: { status?: number; body?: unknown; bodyFile?: string; unchanged?: boolean };
  expectError?: { status: number; code: string };
  expectLocal?: { status: number; body?: unknown };
}

interface Replayed {
  name: string;
  kind: 'responses' | 'chat' | 'messages' | 'count_tokens';
  dir: string;
  c: Case;
}

interface Outcome {
  name: string;
  ok: boolean;
  final?: Record<string, unknown>;
  events?: string[] | number;
  text?: string | null;
  status?: number | null;
  code?: string | null;
  type?: string | null;
  error?: string;
  message?: string;
}

const KINDS: Record<string, Replayed['kind']> = { '/v1/responses': 'responses', '/v1/chat/completions': 'chat', '/v1/messages': 'messages', '/v1/messages/count_tokens': 'count_tokens' };

/** A dialect's fixtures the SDK can send as they are: its own paths, a JSON body, no extra config. */
function replayable(dialect: 'openai' | 'anthropic'): Replayed[] {
  const out: Replayed[] = [];
  for (const pair of readdirSync(FIXTURES).filter((p) => p.startsWith(`${dialect}-`))) {
    for (const name of readdirSync(join(FIXTURES, pair))) {
      const dir = join(FIXTURES, pair, name);
      if (!existsSync(join(dir, 'case.json'))) continue;
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
      const kind = KINDS[c.request.path];
      // The SDK itself insists on a model (a fixture without one is the gateway's own check).
      if (!kind || (c.request.method ?? 'POST') !== 'POST' || c.config || typeof c.request.body?.model !== 'string') continue;
      if (!c.expectClient && !c.expectError && !c.expectLocal) continue;
      // A stream is compared with the client bytes the fixture expects.
      if (c.request.body.stream === true && c.expectClient && !c.expectClient.bodyFile) continue;
      // An answer the gateway passes through untouched is the provider's, not the gateway's.
      if (c.expectClient?.unchanged) continue;
      out.push({ name: `${pair}/${name}`, kind, dir, c });
    }
  }
  return out;
}

const events = (text: string) => new SseParser().push(Buffer.from(`${text}\n\n`)).flatMap((e) => (e.data === undefined ? [] : [e.data]));

/** What the fixture says the SDK ends up with: the response object, or a stream's completed one (undefined: the stream never completes). */
function expectedFinal(r: Replayed): { final?: unknown; streamTypes?: string[] } {
  const e = r.c.expectClient!;
  if (!e.bodyFile) return { final: e.body };
  if (e.bodyFile.endsWith('.json')) return { final: JSON.parse(readFileSync(join(r.dir, e.bodyFile), 'utf8')) };
  const data = events(readFileSync(join(r.dir, e.bodyFile), 'utf8'));
  if (r.kind === 'chat') return {};
  const parsed = data.map((d) => JSON.parse(d) as { type: string; response?: unknown });
  return { final: parsed.find((p) => p.type === 'response.completed')?.response, streamTypes: parsed.map((p) => p.type) };
}

/** The chat stream's pieces as the SDK's chunks add up: text, calls, usage and finish reason. */
function expectedChatStream(r: Replayed): Record<string, unknown> {
  const data = events(readFileSync(join(r.dir, r.c.expectClient!.bodyFile!), 'utf8')).filter((d) => d.trim() !== '[DONE]');
  let text = '';
  let usage: unknown = null;
  let finish: string | null = null;
  const calls: { id: string | null; name: string; arguments: string }[] = [];
  for (const d of data) {
    const chunk = JSON.parse(d) as { error?: { message?: string }; usage?: unknown; choices?: { delta?: { content?: string; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[] };
    if (chunk.error) return { error: chunk.error.message ?? '' };
    if (chunk.usage) usage = chunk.usage;
    for (const ch of chunk.choices ?? []) {
      text += ch.delta?.content ?? '';
      finish = ch.finish_reason ?? finish;
      for (const tc of ch.delta?.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { id: null, name: '', arguments: '' });
        call.id = tc.id ?? call.id;
        call.name += tc.function?.name ?? '';
        call.arguments += tc.function?.arguments ?? '';
      }
    }
  }
  return { text, tool_calls: calls, usage, finish_reason: finish };
}

type Block = Record<string, unknown> & { type: string; text?: string; thinking?: string; signature?: string; input?: unknown; citations?: unknown[] };
type StreamEvent = { type: string; message?: Record<string, unknown>; index?: number; content_block?: Block; delta?: Record<string, unknown> & { type?: string }; usage?: Record<string, unknown>; error?: { message?: string } };

/** The message an Anthropic event stream adds up to, as messages.stream builds it; an error event instead, if there is one. */
function expectedMessage(r: Replayed): { message?: Record<string, unknown>; error?: string; stopped: boolean; types: string[] } {
  const all = events(readFileSync(join(r.dir, r.c.expectClient!.bodyFile!), 'utf8')).map((d) => JSON.parse(d) as StreamEvent);
  const types = all.map((e) => e.type);
  const err = all.find((e) => e.type === 'error');
  if (err) return { error: err.error?.message ?? '', stopped: false, types };
  let message: Record<string, unknown> | undefined;
  const json: string[] = [];
  for (const e of all) {
    if (e.type === 'message_start') message = structuredClone(e.message!);
    const content = message?.content as Block[] | undefined;
    if (e.type === 'content_block_start') {
      content![e.index!] = structuredClone(e.content_block!);
      json[e.index!] = '';
    } else if (e.type === 'content_block_delta') {
      const b = content![e.index!]!;
      const d = e.delta!;
      if (d.type === 'text_delta') b.text = (b.text ?? '') + String(d.text);
      else if (d.type === 'thinking_delta') b.thinking = (b.thinking ?? '') + String(d.thinking);
      else if (d.type === 'signature_delta') b.signature = String(d.signature);
      else if (d.type === 'input_json_delta') json[e.index!] += String(d.partial_json);
      else if (d.type === 'citations_delta') (b.citations ??= []).push(d.citation);
    } else if (e.type === 'content_block_stop') {
      const b = content![e.index!]!;
      if (b.type === 'tool_use' || b.type === 'server_tool_use') b.input = json[e.index!] ? JSON.parse(json[e.index!]!) : {};
    } else if (e.type === 'message_delta') {
      Object.assign(message!, { stop_reason: e.delta?.stop_reason, stop_sequence: e.delta?.stop_sequence ?? null });
      const usage = message!.usage as Record<string, unknown>;
      for (const [k, v] of Object.entries(e.usage ?? {})) if (v !== null) usage[k] = v;
    }
  }
  return { message, stopped: types.includes('message_stop'), types };
}

const cases = [...replayable('openai'), ...replayable('anthropic')];
const fakes = new Map<string, FakeUpstream>();
let gw: Gateway;
let outcomes: Map<string, Outcome>;

const parseLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Outcome);

beforeAll(async () => {
  const backends: Record<string, unknown> = {};
  for (const [i, r] of cases.entries()) {
    const { response, expectUpstream } = r.c;
    const bytes = response?.bodyFile ? readFileSync(join(r.dir, response.bodyFile)) : Buffer.from(response?.body === undefined ? '' : JSON.stringify(response.body));
    const fake = await startFakeUpstream((req) => {
      const path = req.url.split('?')[0];
      if (expectUpstream?.path && path !== expectUpstream.path.split('?')[0]) return { status: 599, text: `fixture ${r.name}: request to ${req.url}, expected ${expectUpstream.path}` };
      // Served in pieces, as a provider's stream arrives.
      const chunks = response?.bodyFile ? Array.from({ length: Math.ceil(bytes.length / 97) }, (_, k) => bytes.subarray(k * 97, (k + 1) * 97)) : [bytes];
      // The recorded content-length was the provider's body's, not this re-serialised one's.
      const headers = Object.fromEntries(Object.entries(response?.headers ?? { 'content-type': 'application/json' }).filter(([k]) => k !== 'content-length'));
      return { status: response?.status ?? 200, headers, chunks };
    });
    fakes.set(r.name, fake);
    backends[`b${i}`] = { ...r.c.backend, endpoint: fake.url };
  }
  gw = await startGateway({ defaultBackend: 'b0', backends });
  const input = (kinds: Replayed['kind'][]) =>
    JSON.stringify(cases.flatMap((r, i) => (kinds.includes(r.kind) ? [{ name: r.name, kind: r.kind, headers: { ...r.c.request.headers, 'x-llm-backend': `b${i}` }, body: r.c.request.body }] : [])));
  const [openai, anthropic] = await Promise.all([
    runPython(PY_OPENAI, [`${gw.url}/v1`], 180_000, input(['responses', 'chat'])),
    runPython(PY_ANTHROPIC, [gw.url], 180_000, input(['messages', 'count_tokens'])),
  ]);
  outcomes = new Map([...parseLines(openai), ...parseLines(anthropic)].map((o) => [o.name, o]));
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  for (const f of fakes.values()) await f.close();
});

/** A refusal the fixture expects: the gateway's own (expectError) or the provider's, translated. */
function refusalOf(r: Replayed): { status: number; code?: string } | undefined {
  if (r.c.expectError) return r.c.expectError;
  const status = r.c.expectClient?.status;
  return status !== undefined && status >= 400 ? { status } : undefined;
}

describe('the official Python SDKs replaying the golden fixtures through Envoy', () => {
  it('has fixtures of every operation and provider to replay, and an answer for each', () => {
    for (const p of ['openai', 'azureopenai', 'anthropic', 'bedrock', 'gemini', 'vertexai']) {
      for (const [dialect, kind] of [['openai', 'responses'], ['openai', 'chat'], ['anthropic', 'messages']] as const) {
        expect(cases.filter((r) => r.kind === kind && r.name.startsWith(`${dialect}-${p}/`)).length, `${kind} → ${p}`).toBeGreaterThanOrEqual(2);
      }
      expect(cases.filter((r) => r.kind === 'count_tokens' && r.name.startsWith(`anthropic-${p}/`)).length, `count_tokens → ${p}`).toBeGreaterThanOrEqual(1);
    }
    expect(outcomes.size).toBe(cases.length);
  });

  it.each(cases.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const o = outcomes.get(r.name)!;
    const refusal = refusalOf(r);
    if (refusal) {
      expect(o.ok, `the SDK should raise: ${JSON.stringify(o.final)}`).toBe(false);
      expect(o.status).toBe(refusal.status);
      // OpenAI's error carries the gateway's code; Anthropic's names it in the message.
      if (refusal.code) expect(r.kind === 'messages' || r.kind === 'count_tokens' ? o.message : o.code).toContain(refusal.code);
      return;
    }
    const stream = r.c.request.body?.stream === true;
    if (r.kind === 'count_tokens') {
      expect(o.ok, o.message).toBe(true);
      const off = mismatches((r.c.expectLocal ?? r.c.expectClient)!.body, o.final);
      expect(off, off.join('\n')).toEqual([]);
      return;
    }
    if (r.kind === 'messages' && stream) {
      const want = expectedMessage(r);
      if (want.error !== undefined || !want.stopped) {
        // An error event (the provider's, or the gateway's for a cut stream): the SDK raises.
        expect(o.ok, `the SDK took a broken stream for a message: ${JSON.stringify(o.final)}`).toBe(false);
        if (want.error) expect(o.message).toContain(want.error);
        return;
      }
      expect(o.ok, o.message).toBe(true);
      const off = mismatches(want.message, o.final);
      expect(off, off.join('\n')).toEqual([]);
      expect(o.events).toEqual(expect.arrayContaining(want.types.filter((t) => t !== 'ping')));
      return;
    }
    if (r.kind === 'chat' && stream) {
      const expected = expectedChatStream(r);
      if (expected.error) {
        // An error chunk in the stream: the SDK raises it, with the provider's message.
        expect(o.ok, `the SDK took an error chunk for an answer: ${JSON.stringify(o.final)}`).toBe(false);
        expect(o.message).toContain(expected.error);
        return;
      }
      expect(o.ok, o.message).toBe(true);
      const off = mismatches(expected, o.final);
      expect(off, off.join('\n')).toEqual([]);
      return;
    }
    const { final, streamTypes } = expectedFinal(r);
    if (final === undefined) {
      // A stream that ends without response.completed (cut, or an error event): the SDK's
      // helper must not hand the user a response as if it had finished.
      expect(o.ok, `the SDK accepted a stream without response.completed: ${JSON.stringify(o.final)}`).toBe(false);
      return;
    }
    expect(o.ok, o.message).toBe(true);
    const off = mismatches(final, o.final);
    expect(off, off.join('\n')).toEqual([]);
    if (streamTypes) expect(o.events).toEqual(streamTypes);
  });
});
