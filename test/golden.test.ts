// Golden fixtures per (client dialect, provider) pair, run through the real
// RequestProcessor: client request -> expected upstream request; upstream response
// or stream -> expected client response and usage. Streams are fed whole and split
// at several chunk sizes; every split must give the same client bytes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/usage/sse.js';
import { config, drive, splitEvery } from './helpers/drive.js';
import { headerMismatches, mismatches } from './helpers/match.js';

const ROOT = join(import.meta.dirname, 'fixtures');

interface Case {
  description?: string;
  backend: Record<string, unknown>;
  config?: Record<string, unknown>;
  request: { method?: string; path: string; headers?: Record<string, string>; body?: unknown };
  expectUpstream?: { path?: string; headers?: Record<string, string | null>; body?: unknown };
  response?: { status: number; headers?: Record<string, string>; body?: unknown; bodyFile?: string };
  /** `unchanged`: the client gets the upstream's bytes exactly (a same-dialect stream passed through). */
  expectClient?: { status?: number; headers?: Record<string, string | null>; body?: unknown; bodyFile?: string; unchanged?: boolean };
  expectUsage?: Record<string, unknown>;
  expectError?: { status: number; code: string; body?: unknown };
  /** Answered by the gateway itself (a token count estimated for a provider without one): no upstream request. */
  expectLocal?: { status: number; headers?: Record<string, string | null>; body?: unknown };
}

function sseData(text: string): unknown[] {
  const p = new SseParser();
  const events = p.push(Buffer.from(text));
  const rest = p.flush();
  if (rest) events.push(rest);
  return events.map((e) => {
    let data: unknown = e.data;
    try {
      data = e.data === undefined ? undefined : JSON.parse(e.data);
    } catch {
      /* keep text ([DONE]) */
    }
    return e.event ? { event: e.event, data } : { data };
  });
}

const pairs = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => !d.startsWith('_') && !d.startsWith('.')) : [];

describe.each(pairs)('%s', (pair) => {
  const dir = join(ROOT, pair);
  const cases = readdirSync(dir).filter((c) => existsSync(join(dir, c, 'case.json')));
  it.each(cases)('%s', async (name) => {
    const base = join(dir, name);
    const c = JSON.parse(readFileSync(join(base, 'case.json'), 'utf8')) as Case;
    const cfg = config({ defaultBackend: 'b', backends: { b: c.backend }, ...c.config });
    const upstreamBytes = c.response
      ? c.response.bodyFile
        ? readFileSync(join(base, c.response.bodyFile))
        : Buffer.from(c.response.body === undefined ? '' : JSON.stringify(c.response.body))
      : Buffer.alloc(0);
    const splits = c.response?.bodyFile && !c.response.bodyFile.endsWith('.json') ? [0, 1, 7, 64] : [0];
    let firstClient: Buffer | undefined;
    for (const size of splits) {
      const chunks = size === 0 ? [upstreamBytes] : splitEvery(upstreamBytes, size);
      const res = await drive(cfg, c.request, c.response ? () => ({ status: c.response!.status, headers: c.response!.headers, chunks }) : undefined);
      if (c.expectError) {
        expect(res.immediate, 'expected an immediate error response').toBeDefined();
        expect(res.immediate!.status).toBe(c.expectError.status);
        const body = JSON.stringify(res.immediate!.body);
        expect(body).toContain(c.expectError.code);
        if (c.expectError.body) expect(mismatches(c.expectError.body, res.immediate!.body)).toEqual([]);
        return;
      }
      if (c.expectLocal) {
        expect(res.upstream, 'the gateway answers itself: nothing goes upstream').toBeUndefined();
        expect(res.immediate?.status).toBe(c.expectLocal.status);
        if (c.expectLocal.headers) expect(headerMismatches(c.expectLocal.headers, res.immediate!.headers)).toEqual([]);
        if (c.expectLocal.body !== undefined) expect(mismatches(c.expectLocal.body, res.immediate!.body)).toEqual([]);
        return;
      }
      expect(res.immediate, `unexpected immediate response ${JSON.stringify(res.immediate?.body)}`).toBeUndefined();
      const up = res.upstream!;
      if (c.expectUpstream?.path) expect(up.headers[':path']).toBe(c.expectUpstream.path);
      if (c.expectUpstream?.headers) expect(headerMismatches(c.expectUpstream.headers, up.headers)).toEqual([]);
      if (c.expectUpstream?.body !== undefined) {
        expect(up.headers['content-length']).toBe(String(up.body?.length ?? 0));
        expect(mismatches(c.expectUpstream.body, JSON.parse(up.body!.toString()))).toEqual([]);
      }
      if (!c.response) return;
      const client = res.client!;
      if (c.expectClient?.status !== undefined) expect(client.status).toBe(c.expectClient.status);
      if (c.expectClient?.headers) expect(headerMismatches(c.expectClient.headers, client.headers)).toEqual([]);
      // Whatever the translation, a content-length the client sees must be the body's.
      if (client.headers['content-length'] !== undefined) expect(Number(client.headers['content-length'])).toBe(client.body.length);
      if (c.expectClient?.bodyFile) {
        const want = readFileSync(join(base, c.expectClient.bodyFile), 'utf8');
        if (c.expectClient.bodyFile.endsWith('.json')) expect(mismatches(JSON.parse(want), JSON.parse(client.body.toString()))).toEqual([]);
        else expect(mismatches(sseData(want), sseData(client.body.toString()))).toEqual([]);
      } else if (c.expectClient?.body !== undefined) {
        expect(mismatches(c.expectClient.body, JSON.parse(client.body.toString()))).toEqual([]);
      }
      if (c.expectClient?.unchanged) expect(client.body.equals(upstreamBytes), `split every ${size} bytes: the client's bytes differ from the upstream's`).toBe(true);
      if (firstClient === undefined) firstClient = client.body;
      else expect(client.body.toString(), `split every ${size} bytes changed the client bytes`).toBe(firstClient.toString());
      if (c.expectUsage) expect(mismatches(c.expectUsage, pick(res.metadata ?? {}, Object.keys(c.expectUsage)))).toEqual([]);
    }
  });
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
