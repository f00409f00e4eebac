// Accounting through the real RequestProcessor, without Envoy: which reply carries which
// metadata key, what a stream left early counts, and the pieces behind it (the metadata
// ledger, label caps, metric families).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestProcessor } from '../../src/processor/request.js';
import { tapLogs } from '../../src/logger.js';
import { stopTokenizerThread, tokenizerThreadRunning } from '../../src/usage/tokenizer-thread.js';
import { fromStruct, MetadataLedger } from '../../src/extproc/struct.js';
import { CounterFamily, HistogramFamily } from '../../src/telemetry/families.js';
import { LabelCaps } from '../../src/telemetry/metrics.js';
import { countTokens } from '../../src/usage/estimate.js';
import { mismatches } from '../helpers/match.js';
import { config, drive, headerList, mergedMetadata } from '../helpers/drive.js';

const ROOT = join(import.meta.dirname, '..', 'fixtures');

interface Case {
  backend: Record<string, unknown>;
  config?: Record<string, unknown>;
  request: { method?: string; path: string; headers?: Record<string, string>; body?: unknown };
  response?: { status: number; headers?: Record<string, string>; bodyFile?: string };
  expectUsage?: Record<string, unknown>;
  expectError?: unknown;
}

/** Every golden stream whose provider completes it (the cut and failing ones end otherwise). */
function streamCases(): [string, Case][] {
  const out: [string, Case][] = [];
  for (const pair of readdirSync(ROOT)) {
    const dir = join(ROOT, pair);
    if (pair.startsWith('_') || !existsSync(dir) || !readdirSync(dir).length) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, 'case.json');
      if (!existsSync(file)) continue;
      const c = JSON.parse(readFileSync(file, 'utf8')) as Case;
      const body = c.response?.bodyFile ?? '';
      if (c.response?.status !== 200 || body.endsWith('.json') || !body || !c.expectUsage || /cut|error/.test(name)) continue;
      out.push([`${pair}/${name}`, c]);
    }
  }
  return out;
}

describe('the final counts go out with the last event, before Envoy’s end of stream', () => {
  it.each(streamCases())('%s', async (id, c) => {
    const bytes = readFileSync(join(ROOT, id, c.response!.bodyFile!));
    const cfg = config({ defaultBackend: 'b', backends: { b: c.backend }, ...c.config });
    // The whole stream in one chunk, then Envoy's end of stream on its own (an empty chunk).
    const res = await drive(cfg, c.request, () => ({ status: 200, headers: c.response!.headers, chunks: [bytes, Buffer.alloc(0)] }));
    const beforeEnd = mergedMetadata(res.replies.slice(0, -1))!;
    // As the golden runner reads it: `<any>` is any value present (an estimate's exact figure).
    for (const [k, v] of Object.entries(c.expectUsage!)) expect(mismatches(v, beforeEnd[k], k)).toEqual([]);
    expect(beforeEnd.stream_end).toBe('complete');
    // Request-time keys went out with the request, not at the end.
    const atRequest = mergedMetadata(res.replies.slice(0, 2))!;
    expect(atRequest).toMatchObject({ backend: 'b', provider: c.backend.provider, route_type: 'completions', client_path: c.request.path.split('?')[0] });
    expect(atRequest.request_model).toBeDefined();
    expect(atRequest.total_tokens).toBeUndefined();
  });
});

describe('one reply, only what changed', () => {
  it('body chunks in the middle of a stream carry no metadata', async () => {
    const id = 'openai-openai/chat-stream-usage-stripped';
    const c = JSON.parse(readFileSync(join(ROOT, id, 'case.json'), 'utf8')) as Case;
    const bytes = readFileSync(join(ROOT, id, c.response!.bodyFile!));
    const cfg = config({ defaultBackend: 'b', backends: { b: c.backend } });
    const events = bytes.toString().split(/(?<=\n\n)/).map((e) => Buffer.from(e));
    const res = await drive(cfg, c.request, () => ({ status: 200, headers: c.response!.headers, chunks: events }));
    const bodyReplies = res.replies.filter((r) => r.response_body);
    expect(bodyReplies).toHaveLength(events.length);
    const withMetadata = bodyReplies.map((r, i) => (r.dynamic_metadata ? i : -1)).filter((i) => i >= 0);
    // The first chunk (ttft), and the usage chunk; nothing for the deltas in between.
    expect(withMetadata[0]).toBe(0);
    expect(withMetadata.length).toBeLessThanOrEqual(3);
    expect(withMetadata.length).toBeLessThan(events.length);
  });

  it('MetadataLedger sends each key again only when its value changed', () => {
    const l = new MetadataLedger<string>('ns');
    l.set('a', 1);
    l.set('b', 'x');
    expect(fromStruct(l.take()).ns).toEqual({ a: 1, b: 'x' });
    expect(l.take()).toBeUndefined();
    l.set('a', 1);
    l.set('b', 'y');
    l.set('c', undefined);
    expect(fromStruct(l.take()).ns).toEqual({ b: 'y' });
    expect(l.snapshot()).toEqual({ a: 1, b: 'y' });
  });
});

describe('a stream Envoy ends early (the client hung up)', () => {
  const cfg = config({ defaultBackend: 'b', backends: { b: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } } } });
  const chunk = (content: string, extra = '') => `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]${extra}}\n\n`;

  async function run(events: string[], close: boolean) {
    const lines: Record<string, unknown>[] = [];
    const stop = tapLogs((l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const proc = new RequestProcessor({ config: cfg, grpcMetadata: new Map(), log: (await import('../../src/logger.js')).logger });
    const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Tell me a story' }] }));
    const replies = [];
    replies.push(await proc.handle({ request: 'request_headers', request_headers: { headers: headerList({ ':method': 'POST', ':path': '/v1/chat/completions', 'x-request-id': 'abandoned-1', 'content-length': String(body.length) }) } }));
    replies.push(await proc.handle({ request: 'request_body', request_body: { body, end_of_stream: true } }));
    replies.push(await proc.handle({ request: 'response_headers', response_headers: { headers: headerList({ ':status': '200', 'content-type': 'text/event-stream' }) } }));
    for (const e of events) replies.push(await proc.handle({ request: 'response_body', response_body: { body: Buffer.from(e), end_of_stream: false } }));
    const usage = () => lines.filter((l) => l.msg === 'usage' && l.requestId === 'abandoned-1');
    if (close) {
      proc.close();
      // A hang-up's estimate is made in the tokenizer thread: the record follows it.
      for (let i = 0; i < 400 && usage().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    }
    stop();
    return { usage: usage(), metadata: mergedMetadata(replies)! };
  }

  it('is estimated from the request and the text delivered, and logged as client_cancelled', async () => {
    const { usage, metadata } = await run([chunk(''), chunk('Once '), chunk('upon a')], true);
    expect(usage).toHaveLength(1);
    const input = countTokens('Tell me a story', 'gpt-4o-mini');
    const output = countTokens('Once upon a', 'gpt-4o-mini');
    expect(usage[0]).toMatchObject({ streamEnd: 'client_cancelled', errorType: 'client_cancelled', tokensEstimated: true, inputTokens: input, outputTokens: output, totalTokens: input + output });
    expect(tokenizerThreadRunning()).toBe(true);
    await stopTokenizerThread();
    expect(tokenizerThreadRunning()).toBe(false);
    // What Envoy got before it left: who and what, and the time to the first byte.
    expect(metadata).toMatchObject({ backend: 'b', request_model: 'gpt-4o-mini' });
    expect(metadata.ttft_ms).toBeTypeOf('number');
    expect(metadata.total_tokens).toBeUndefined();
  });

  it('after the usage chunk it is complete, with the provider’s counts', async () => {
    const usageChunk = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}\n\n';
    const { usage, metadata } = await run([chunk('Hi'), usageChunk], true);
    expect(usage[0]).toMatchObject({ streamEnd: 'complete', tokensEstimated: false, inputTokens: 9, outputTokens: 3 });
    expect(usage[0]!.errorType).toBeUndefined();
    expect(metadata).toMatchObject({ input_tokens: 9, output_tokens: 3, total_tokens: 12, stream_end: 'complete' });
  });

  it('is never logged twice: Envoy closes every stream, also after its end', async () => {
    const { usage } = await run([chunk('Hi')], false);
    expect(usage).toHaveLength(0);
  });
});

describe('metric label caps', () => {
  it('past the limit new values of a label count as "other"; known values stay', () => {
    const caps = new LabelCaps(2);
    expect(caps.value('gen_ai_request_model', 'a')).toBe('a');
    expect(caps.value('gen_ai_request_model', 'b')).toBe('b');
    expect(caps.value('gen_ai_request_model', 'c')).toBe('other');
    expect(caps.value('gen_ai_request_model', 'a')).toBe('a');
    expect(caps.value('backend', 'c')).toBe('c');
  });
});

describe('metric families in the Prometheus text format', () => {
  it('a histogram child keeps cumulative buckets, sum and count; a counter its value', async () => {
    const reg = new Registry();
    const h = new HistogramFamily('t_tokens', 'tokens', reg, [1, 4, 16]);
    const c = new CounterFamily('t_requests_total', 'requests', reg);
    const child = h.child('k', { model: 'm"x' });
    for (const v of [1, 3, 5, 100]) child.observe(v);
    c.child('k', { model: 'm' }).inc(2);
    const text = await reg.metrics();
    expect(text).toContain('# TYPE t_tokens histogram');
    expect(text).toContain('t_tokens_bucket{model="m\\"x",le="1"} 1');
    expect(text).toContain('t_tokens_bucket{model="m\\"x",le="4"} 2');
    expect(text).toContain('t_tokens_bucket{model="m\\"x",le="16"} 3');
    expect(text).toContain('t_tokens_bucket{model="m\\"x",le="+Inf"} 4');
    expect(text).toContain('t_tokens_sum{model="m\\"x"} 109');
    expect(text).toContain('t_tokens_count{model="m\\"x"} 4');
    expect(text).toContain('t_requests_total{model="m"} 2');
  });
});
