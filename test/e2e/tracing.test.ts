// Tracing end to end: a real Envoy with its OpenTelemetry tracer and the processor both
// export to an OTLP/HTTP receiver started here, which decodes what arrives with the official
// OTLP protobuf definitions (opentelemetry-proto, in .venv). Envoy's spans and the
// processor's share one trace, the processor's span is the child of Envoy's span for the
// ext_proc call, and it carries the GenAI attributes, never the prompt or the answer.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushTracing } from '../../src/telemetry/tracing.js';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { VENV_PYTHON } from './observe.js';

const RECEIVER = join(import.meta.dirname, 'python', 'otlp_receiver.py');
const MARKER = 'TRACE-PROMPT-MARKER-91c2';
const ANSWER = 'the answer nobody may trace';

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const SERVER_KIND = 2;

let receiver: ChildProcessWithoutNullStreams;
const spans: Span[] = [];
let upstream: FakeUpstream;
let gw: Gateway;

async function startReceiver(): Promise<number> {
  receiver = spawn(VENV_PYTHON, [RECEIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  receiver.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: receiver.stdout });
  return new Promise((resolve, reject) => {
    receiver.on('exit', (code) => reject(new Error(`the OTLP receiver exited (${code}): ${stderr}`)));
    lines.on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
      else spans.push(JSON.parse(line) as Span);
    });
  });
}

/** The spans of one trace once the processor's span and Envoy's have both arrived. */
async function traceOf(match: (s: Span) => boolean, timeoutMs = 10_000): Promise<{ mine: Span; trace: Span[] }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await flushTracing();
    const mine = spans.find((s) => s.service === 'llm-extproc' && match(s));
    const trace = mine ? spans.filter((s) => s.traceId === mine.traceId) : [];
    if (mine && trace.some((s) => s.service === 'llm-extproc-envoy' && s.spanId === mine.parentSpanId) && trace.filter((s) => s.service === 'llm-extproc-envoy').length >= 2) {
      return { mine, trace };
    }
    if (Date.now() > until) throw new Error(`no complete trace; spans so far: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId.slice(0, 8), s.spanId.slice(0, 8), s.parentSpanId.slice(0, 8)]))}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

beforeAll(async () => {
  const port = await startReceiver();
  upstream = await startFakeUpstream((req) => {
    const body = JSON.parse(req.body.toString()) as { model: string; stream?: boolean };
    if (body.stream) return { sse: chatStream(`${body.model}-served`, ['the ', 'answer'], true) };
    return { json: chatCompletion(`${body.model}-served`, ANSWER) };
  });
  gw = await startGateway(
    {
      defaultBackend: 'traced',
      telemetry: { otlp: { endpoint: `http://127.0.0.1:${port}` } },
      backends: { traced: { provider: 'openai', endpoint: upstream.url, authToken: { kind: 'Inline', inline: 'sk-gateway' } } },
    },
    {
      // Envoy's OpenTelemetry tracer batches spans for 5 s by default; flush each one at once here.
      editBootstrap: (b) => {
        b.layered_runtime = { layers: [{ name: 'test', static_layer: { 'tracing.opentelemetry.min_flush_spans': 1, 'tracing.opentelemetry.flush_interval_ms': 100 } }] };
      },
    },
  );
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
  receiver?.stdin.end();
});

describe('one trace across Envoy and the processor', () => {
  it('a trace Envoy starts: the processor span is the child of Envoy’s ext_proc span, with the GenAI attributes', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: MARKER }] });
    expect(res.choices[0]!.message.content).toBe(ANSWER);
    const { mine, trace } = await traceOf((s) => s.attributes['gen_ai.request.model'] === 'gpt-4o-mini' && s.attributes['gen_ai.request.stream'] === false);
    expect(mine).toMatchObject({
      name: 'chat gpt-4o-mini',
      kind: SERVER_KIND,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.response.model': 'gpt-4o-mini-served',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 7,
        'gen_ai.response.finish_reasons': ['stop'],
        'llm_extproc.backend': 'traced',
        'llm_extproc.tokens_estimated': false,
        'http.response.status_code': 200,
      },
    });
    expect(mine.attributes['error.type']).toBeUndefined();
    // Envoy: the request's span (the root here) and, under it, its span for the ext_proc call.
    const parent = trace.find((s) => s.spanId === mine.parentSpanId)!;
    expect(parent.service).toBe('llm-extproc-envoy');
    const root = trace.find((s) => s.spanId === parent.parentSpanId)!;
    expect(root).toMatchObject({ service: 'llm-extproc-envoy', parentSpanId: '' });
    expect(root.kind).toBe(SERVER_KIND);
  });

  it('a client’s own traceparent: Envoy and the processor join the client’s trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0, defaultHeaders: { traceparent: `00-${traceId}-${clientSpan}-01` } });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: MARKER }] });
    for await (const _ of stream) {
      // read to the end
    }
    const { mine, trace } = await traceOf((s) => s.traceId === traceId);
    expect(mine.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.stream': true, 'gen_ai.usage.output_tokens': 2, 'llm_extproc.stream_end': 'complete' });
    const envoyRoot = trace.find((s) => s.service === 'llm-extproc-envoy' && s.parentSpanId === clientSpan);
    expect(envoyRoot, 'Envoy’s span is a child of the client’s').toBeDefined();
    const parent = trace.find((s) => s.spanId === mine.parentSpanId)!;
    expect(parent.parentSpanId).toBe(envoyRoot!.spanId);
  });

  it('errors the gateway makes are spans with error.type', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": ' });
    expect(res.status).toBe(400);
    const { mine } = await traceOf((s) => s.attributes['error.type'] === 'invalid_json');
    expect(mine.attributes['http.response.status_code']).toBe(400);
  });

  it('no span holds the prompt or the answer', () => {
    expect(spans.length).toBeGreaterThan(4);
    for (const s of spans) {
      const text = JSON.stringify(s);
      expect(text).not.toContain(MARKER);
      expect(text).not.toContain(ANSWER);
    }
  });

  it('telemetry.captureContent (here turned on by a config reload) puts prompt and answer in the span', async () => {
    gw.writeConfig({ ...gw.config.file, telemetry: { ...gw.config.file.telemetry, captureContent: true } });
    const prompt = `${MARKER} captured`;
    const until = Date.now() + 10_000;
    let found: Span | undefined;
    while (!found) {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
      await flushTracing();
      await new Promise((ok) => setTimeout(ok, 200));
      found = spans.find((s) => String(s.attributes['gen_ai.input.messages'] ?? '').includes(prompt));
      if (Date.now() > until) throw new Error('no span with the captured prompt after the reload');
    }
    expect(JSON.parse(String(found.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', content: prompt }]);
    expect(String(found.attributes['gen_ai.output.messages'])).toContain(ANSWER);
  });
});
