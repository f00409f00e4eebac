// The performance goal, end to end: 10,000 streamed completions in flight at the same time
// through the Envoy config the generator makes, a real Envoy, and the processor as users run
// it (`llm-extproc serve`, its own process). The provider holds every SSE stream open until
// all 10,000 have reached it, then finishes them together. Clients speak HTTP/2 to Envoy
// (a few sessions); Envoy speaks HTTP/1.1 to the provider, as in production: 10,000
// provider connections. Every request must get its whole stream, nothing may overflow,
// and the processor must have counted all of them.
//
// The client starts requests as fast as the gateway admits them, with up to 2,000 waiting
// for their response headers at once (twice Envoy's default pending queue, so that limit is
// still hit if it comes back). Started in one instant, the 10,000 would queue for the
// processor's replies behind each other: on two busy cores admitting them takes 15-30 s of
// processor time, and the last ones reach ext_proc's 30 s message timeout (docs/CAPACITY.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap } from '../../src/envoy/bootstrap.js';
import { CLIENT_STREAMS_PER_CONNECTION } from '../../src/envoy/capacity.js';
import { type RunningEnvoy, startEnvoy } from '../../src/envoy/launcher.js';
import { type FakeUpstream, requireEnvoy, startFakeUpstream } from './harness.js';
import { envoyStats, getText, sampleMaxima, troubles } from './load/envoy-stats.js';
import { runLoad, type StreamResult } from './load/h2-client.js';
import { HELD_TEXT, type HeldUpstream, startHeldUpstream } from './load/held-upstream.js';
import { cpuSeconds, ensureOpenFiles, peakRssBytes, type ProcessorChild, startProcessorChild } from './load/processes.js';

const STREAMS = 10_000;
// The client opens as few sessions as Envoy's per-connection stream limit allows.
const SESSIONS = Math.ceil(STREAMS / CLIENT_STREAMS_PER_CONNECTION);
// The whole load must be over by then (it takes 20-50 s on two busy cores); then the client
// tears its sessions down and the assertions say what was missing.
const LOAD_DEADLINE_MS = 80_000;
const ADMISSION_WINDOW = 2000;

// A pool's fallback under the same kind of load: the primary answers 503 at once, each
// request is retried on the standby, which holds them all. More than Envoy's 1,024 pending
// requests, and far more than its 3 concurrent retries per cluster.
const FALLBACK_STREAMS = 2000;

let dir: string;
let upstream: HeldUpstream;
let standby: HeldUpstream;
let down: FakeUpstream;
let processor: ProcessorChild;
let envoy: RunningEnvoy;

beforeAll(async () => {
  await requireEnvoy();
  // One socket per provider connection in this process (the fake providers) and in Envoy.
  ensureOpenFiles(STREAMS + 2 * FALLBACK_STREAMS + 1000);
  upstream = await startHeldUpstream(STREAMS);
  standby = await startHeldUpstream(FALLBACK_STREAMS);
  down = await startFakeUpstream(() => ({ status: 503, json: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } }));
  const key = { kind: 'Inline', inline: 'sk-held' };
  const raw = {
    defaultBackend: 'openai',
    backends: {
      openai: { provider: 'openai', endpoint: upstream.url, authToken: key },
      down: { provider: 'openai', endpoint: down.url, authToken: key },
      standby: { provider: 'openai', endpoint: standby.url, authToken: key },
    },
    pools: { fallback: { backends: [{ backend: 'down', priority: 0 }, { backend: 'standby', priority: 1 }] } },
  };
  dir = mkdtempSync(join(tmpdir(), 'llm-extproc-concurrency-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(raw));
  processor = await startProcessorChild(configPath);
  const cfg = parseConfigObject(raw);
  const bootstrap = buildBootstrap({ ...cfg, ports: { ...cfg.ports, envoy: 0, envoyAdmin: 0 } }, { processor: { host: '127.0.0.1', port: processor.grpcPort }, listenAddress: '127.0.0.1', accessLogPath: '/dev/null' });
  // Envoy's worker count is left at its default for this machine, as `up` runs it.
  envoy = await startEnvoy({ bootstrapYaml: stringify(bootstrap), stdout: 'ignore' });
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  await processor?.stop();
  await Promise.all([upstream?.close(), standby?.close(), down?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CHAT = { path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say it all at once.' }] }) };

/** `requests` streams held by `held` until all have arrived, read to their ends. */
function load(held: HeldUpstream, requests: number, headers?: Record<string, string>): Promise<StreamResult[]> {
  return runLoad({
    url: `http://127.0.0.1:${envoy.listenerPort}`,
    requests,
    sessions: Math.ceil(requests / CLIENT_STREAMS_PER_CONNECTION),
    ...CHAT,
    ...(headers ? { headers } : {}),
    deadlineMs: LOAD_DEADLINE_MS,
    admissionWindow: ADMISSION_WINDOW,
    // Nothing may end before all have arrived: the first that does is a failure, so the
    // provider lets the others go instead of holding them until the deadline.
    onSettled: () => held.release(),
  });
}

/** A counter of the processor's /metrics (NaN when the series is missing). */
async function processorMetric(re: RegExp): Promise<number> {
  const metrics = await getText(`${processor.adminUrl}/metrics`);
  return Number(re.exec(metrics)?.[1] ?? Number.NaN);
}

/** The words a client received on one stream, and whether it ended as OpenAI's streams end. */
function readStream(r: StreamResult): { text: string; finish?: string; done: boolean } {
  let text = '';
  let finish: string | undefined;
  let done = false;
  for (const event of r.body.split('\n\n')) {
    const data = event.startsWith('data: ') ? event.slice(6) : undefined;
    if (data === undefined) continue;
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { choices: { delta?: { content?: string }; finish_reason?: string | null }[] };
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      finish = c.finish_reason ?? finish;
    }
  }
  return { text, ...(finish ? { finish } : {}), done };
}

/** How many results share each outcome, for a failure message a person can read. */
function tally(results: StreamResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const s = readStream(r);
    const key = r.error ? `${r.status} ${r.error}` : r.status !== 200 ? `${r.status} ${r.body.slice(0, 120)}` : s.text === HELD_TEXT && s.done ? 'complete' : `200 cut short: "${s.text}" done=${s.done}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe(`${STREAMS.toLocaleString('en')} concurrent streams`, () => {
  it('all in flight at once, each answered 200 with its whole stream; no overflow, no 5xx, every one counted', async () => {
    const t0 = Date.now();
    const cpu0 = { processor: cpuSeconds(processor.child.pid!), envoy: envoy.child?.pid ? cpuSeconds(envoy.child.pid) : Number.NaN };
    // A breaker's gauge is 1 only while it is open: watch them while the load runs.
    const sampler = sampleMaxima(envoy.adminUrl, String.raw`\.circuit_breakers\.`, 500);
    let results: StreamResult[];
    try {
      results = await load(upstream, STREAMS);
    } finally {
      sampler.stop();
    }
    const loadMs = Date.now() - t0;
    const cpuPerStream = (pid: number | undefined, from: number) => (pid ? `${Math.round(((cpuSeconds(pid) - from) * 1e6) / STREAMS)} µs` : 'n/a');
    const perStream = { processor: cpuPerStream(processor.child.pid, cpu0.processor), envoy: cpuPerStream(envoy.child?.pid, cpu0.envoy) };

    // What every client saw.
    expect(tally(results)).toEqual({ complete: STREAMS });
    expect(results.every((r) => readStream(r).finish === 'stop')).toBe(true);

    // The provider had all of them open at the same moment, and nothing else.
    expect(upstream.maxOpen()).toBeGreaterThanOrEqual(STREAMS);
    expect(upstream.received()).toBe(STREAMS);
    expect(upstream.rejected()).toBe(0);

    // Envoy: nothing refused, cut or failed on any cluster, listener or connection.
    const stats = await envoyStats(envoy.adminUrl);
    expect(troubles(stats)).toEqual([]);
    expect(troubles(sampler.maxima)).toEqual([]);
    expect(stats.get('http.llm.downstream_rq_2xx')).toBe(STREAMS);
    expect(stats.get('http.llm.ext_proc.streams_started')).toBe(STREAMS);
    // HTTP/1.1 to the provider: one connection per stream in flight.
    expect(stats.get('cluster.backend_openai.upstream_cx_total')).toBeGreaterThanOrEqual(STREAMS);

    // The processor counted every request, and the tokens of every one (9 in, 3 out each).
    expect(await processorMetric(/^llm_extproc_requests_total\{backend="openai",client="",route_type="completions",status="200"\} (\d+)$/m)).toBe(STREAMS);
    expect(await processorMetric(/^llm_extproc_requests_total\{[^}]*status="(?!200")[^"]*"[^}]*\} (\d+)$/m)).toBeNaN();
    expect(await processorMetric(/^gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="input"[^}]*\} (\d+)$/m)).toBe(9 * STREAMS);
    expect(await processorMetric(/^gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="output"[^}]*\} (\d+)$/m)).toBe(3 * STREAMS);

    const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
    // For the record (memory is reported, not asserted: it depends on the machine and Node).
    console.info(
      `${STREAMS} concurrent streams in ${(loadMs / 1000).toFixed(1)} s over ${SESSIONS} HTTP/2 sessions; peak RSS: processor ${mib(peakRssBytes(processor.child.pid!))}, ` +
        `Envoy ${envoy.child?.pid ? mib(peakRssBytes(envoy.child.pid)) : '(in Docker)'}; processor connections ${stats.get('cluster.llm_extproc.upstream_cx_total')}, ` +
        `ext_proc streams reset by Envoy ${stats.get('cluster.llm_extproc.upstream_rq_tx_reset') ?? 0}; CPU per stream: processor ${perStream.processor}, Envoy ${perStream.envoy}`,
    );
  }, 110_000);
  it(`a pool falls back for ${FALLBACK_STREAMS.toLocaleString('en')} streams at once: every retry taken, none refused`, async () => {
    const before = await envoyStats(envoy.adminUrl);
    const results = await load(standby, FALLBACK_STREAMS, { 'x-llm-backend': 'fallback' });
    expect(tally(results)).toEqual({ complete: FALLBACK_STREAMS });
    expect(standby.maxOpen()).toBeGreaterThanOrEqual(FALLBACK_STREAMS);
    expect(down.requests.length).toBe(FALLBACK_STREAMS);

    const after = await envoyStats(envoy.adminUrl);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('cluster.pool_fallback.upstream_rq_retry')).toBe(FALLBACK_STREAMS);
    // Envoy's default breaker would have allowed 3 of these retries at once.
    expect(delta('cluster.pool_fallback.upstream_rq_retry_overflow')).toBe(0);
    expect(delta('http.llm.downstream_rq_5xx')).toBe(0);
    expect(troubles(after).filter((t) => !t.startsWith('cluster.pool_fallback.upstream_rq_5xx'))).toEqual([]);
    expect(await processorMetric(/^llm_extproc_fallbacks_total\{[^}]*pool="fallback"[^}]*\} (\d+)$/m)).toBe(FALLBACK_STREAMS);
  }, 90_000);
});
