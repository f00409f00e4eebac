// `llm-extproc serve --workers 2` (from dist/) behind a real Envoy: both workers serve streams,
// /metrics is their sum, a reload reaches every worker, a killed worker is replaced while
// requests keep succeeding, and SIGTERM drains both and exits 0; the same on a unix socket.
//
// Envoy spreads streams over the workers only if it opens several connections to the
// processor (node:cluster hands each new connection to the next worker): it opens one per
// Envoy worker thread, and another whenever a connection holds the processor cluster's
// http2_protocol_options.max_concurrent_streams. Here that is 2 with Envoy's one thread, so
// requests in flight at once need several connections, deterministically (which Envoy thread
// a client connection lands on, with --concurrency 2, is the kernel's pick).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap, PROCESSOR_CLUSTER } from '../../src/envoy/bootstrap.js';
import { type RunningEnvoy, startEnvoy } from '../../src/envoy/launcher.js';
import { chatCompletion } from './fixtures.js';
import { type FakeUpstream, requireEnvoy, startFakeUpstream } from './harness.js';
import { type Line, scrape } from './observe.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'llm-extproc.js');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A `serve` child whose stdout is read as JSON log lines. */
function serve(configPath: string, extra: string[]) {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath, ...extra], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' },
  });
  const lines: Line[] = [];
  let rest = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    // Every line whole and JSON: several processes write this one stdout.
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Line);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const waitFor = async (match: (l: Line) => boolean, what: string, timeoutMs = 30_000): Promise<Line> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find(match);
      if (hit) return hit;
      if (Date.now() > until || child.exitCode !== null) throw new Error(`no log line ${what}; stderr: ${stderr}; last lines: ${JSON.stringify(lines.slice(-5))}`);
      await sleep(50);
    }
  };
  return { child, lines, exited, waitFor, usage: () => lines.filter((l) => l.msg === 'usage'), stderr: () => stderr };
}

type Serve = ReturnType<typeof serve>;

let upstream: FakeUpstream;

const config = (model: string, grpc?: string) => ({
  defaultBackend: 'local',
  backends: { local: { provider: 'openai', endpoint: upstream.url, model } },
  ...(grpc ? { ports: { grpc } } : {}),
});

/** `serve --workers 2` and an Envoy in front of it whose streams need several connections. */
async function startSetup(opts: { unixSocket?: string } = {}) {
  const configPath = join(mkdtempSync(join(tmpdir(), 'llm-extproc-workers-')), 'config.yaml');
  writeFileSync(configPath, stringify(config('first-model', opts.unixSocket && `unix:${opts.unixSocket}`)));
  const proc = serve(configPath, ['--workers', '2', '--admin-port', '0', ...(opts.unixSocket ? [] : ['--grpc-port', '0'])]);
  const serving = await proc.waitFor((l) => l.msg === 'processor workers serving', 'saying the workers serve');
  const admin = `http://127.0.0.1:${(await proc.waitFor((l) => l.msg === 'admin HTTP listening', 'with the admin port')).port}`;
  const cfg = parseConfigObject(config('first-model'));
  const processor = opts.unixSocket ? { unixPath: opts.unixSocket } : { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(String(serving.address))![1]) };
  const bootstrap = buildBootstrap({ ...cfg, ports: { ...cfg.ports, envoy: 0, envoyAdmin: 0 } }, { processor, listenAddress: '127.0.0.1', accessLogPath: '/dev/null' });
  const cluster = (bootstrap.static_resources as { clusters: Record<string, any>[] }).clusters.find((c) => c.name === PROCESSOR_CLUSTER)!;
  cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options.max_concurrent_streams = 2;
  const envoy = await startEnvoy({ bootstrapYaml: stringify(bootstrap), concurrency: 1, stdout: 'ignore' });
  return { proc, envoy, admin, configPath, gateway: `http://127.0.0.1:${envoy.listenerPort}`, pids: serving.pids as number[], address: String(serving.address) };
}

let proc: Serve;
let envoy: RunningEnvoy | undefined;
let configPath: string;
let gateway: string;
let admin: string;
let workerPids: number[];

function use(s: Awaited<ReturnType<typeof startSetup>>): void {
  ({ proc, envoy, admin, configPath, gateway, pids: workerPids } = s);
}

const chat = (i: number) =>
  fetch(`${gateway}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'client-model', messages: [{ role: 'user', content: `hi ${i}` }] }) });

/** n requests, `parallel` at a time; their statuses. */
async function burst(n: number, parallel = 8): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, (_, j) => chat(i + j).then(async (r) => (await r.arrayBuffer(), r.status))));
    statuses.push(...batch);
  }
  return statuses;
}

const total = async (name: string) => (await scrape(admin)).filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);

async function waitForTotal(name: string, want: number, timeoutMs = 5000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let got = await total(name);
  while (got < want && Date.now() < until) {
    await sleep(100);
    got = await total(name);
  }
  return got;
}

/** Usage lines (batched: up to a second late) until `n` have come, by the pid that wrote them. */
async function usageByPid(n: number): Promise<Map<number, number>> {
  const until = Date.now() + 5000;
  while (proc.usage().length < n && Date.now() < until) await sleep(100);
  const by = new Map<number, number>();
  for (const l of proc.usage()) by.set(Number(l.pid), (by.get(Number(l.pid)) ?? 0) + 1);
  return by;
}

async function stopSetup(): Promise<void> {
  await envoy?.stop();
  envoy = undefined;
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
}

beforeAll(async () => {
  await requireEnvoy();
  // A moment per answer, so the requests of a burst are in flight together.
  upstream = await startFakeUpstream(async (req) => {
    await sleep(100);
    return { json: chatCompletion((JSON.parse(req.body.toString()) as { model: string }).model) };
  });
}, 30_000);

afterAll(async () => {
  await stopSetup();
  await upstream?.close();
});

describe('serve --workers 2', () => {
  beforeAll(async () => use(await startSetup()), 90_000);
  afterAll(stopSetup);

  it('is two worker processes under one primary, ready, with one admin server', async () => {
    expect(workerPids).toHaveLength(2);
    expect(workerPids).not.toContain(proc.child.pid);
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    const effective = (await (await fetch(`${admin}/config`)).json()) as { processor: { workers: number } };
    expect(effective.processor.workers).toBe(2);
    expect(await total('llm_extproc_workers_serving')).toBe(2);
  });

  it('both workers serve streams, and /metrics counts every request once', async () => {
    const statuses = await burst(24);
    expect(statuses).toEqual(Array(24).fill(200));
    expect(upstream.requests.every((r) => (JSON.parse(r.body.toString()) as { model: string }).model === 'first-model')).toBe(true);
    const by = await usageByPid(24);
    expect([...by.keys()].sort()).toEqual([...workerPids].sort());
    expect([...by.values()].reduce((a, b) => a + b, 0)).toBe(24);
    // Summed over the workers: each request once.
    expect(await waitForTotal('llm_extproc_requests_total', 24)).toBe(24);
    expect(await total('gen_ai_server_request_duration_seconds_count')).toBe(24);
    expect(await waitForTotal('llm_extproc_processing_messages_total', 1)).toBeGreaterThanOrEqual(24 * 2);
    expect(await total('llm_extproc_streams_active')).toBe(0);
  });

  it('a reloaded config applies in every worker', async () => {
    writeFileSync(configPath, stringify(config('reloaded-model')));
    const seen = upstream.requests.length;
    const until = Date.now() + 15_000;
    let models: string[] = [];
    // Both workers watch nothing themselves: the primary hands them its reload.
    while (Date.now() < until) {
      await burst(8);
      models = upstream.requests.slice(-8).map((r) => (JSON.parse(r.body.toString()) as { model: string }).model);
      if (models.every((m) => m === 'reloaded-model')) break;
      await sleep(200);
    }
    expect(models).toEqual(Array(8).fill('reloaded-model'));
    expect(upstream.requests.length).toBeGreaterThan(seen);
    const reloaded = proc.lines.filter((l) => l.msg === 'worker applied the reloaded config');
    expect(new Set(reloaded.map((l) => l.pid))).toEqual(new Set(workerPids));
  });

  it('a killed worker is replaced, requests keep succeeding, and the totals keep its counts', async () => {
    const before = await total('llm_extproc_requests_total');
    const [victim, survivor] = workerPids;
    process.kill(victim!, 'SIGKILL');
    await proc.waitFor((l) => l.msg === 'processor worker exited unexpectedly; replacing it' && l.pid === victim, 'about the killed worker');
    // While the replacement starts, the survivor answers.
    await sleep(200);
    expect(await burst(8)).toEqual(Array(8).fill(200));
    const replaced = await proc.waitFor((l) => l.msg === 'worker serving' && l.pid !== victim && l.pid !== survivor, 'from the replacement');
    const until = Date.now() + 10_000;
    while ((await fetch(`${admin}/readyz`)).status !== 200 && Date.now() < until) await sleep(100);
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    expect(await total('llm_extproc_worker_restarts_total')).toBe(1);
    expect(await burst(16)).toEqual(Array(16).fill(200));
    // A counter never drops: the dead worker's last counts stay in the sum.
    expect(await waitForTotal('llm_extproc_requests_total', before + 24)).toBe(before + 24);
    workerPids = [survivor!, Number(replaced.pid)];
  });

  it('SIGTERM: readiness fails, an open stream finishes, every worker exits, the primary exits 0', async () => {
    upstream.reply = () => ({ sse: ['data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"slow"},"finish_reason":null}]}\n\n', 'data: [DONE]\n\n'], delayMs: 1500 });
    const res = await fetch(`${gateway}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    proc.child.kill('SIGTERM');
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i++) {
      ready = (await fetch(`${admin}/readyz`).catch(() => ({ status: 0 }))).status;
      if (ready === 200) await sleep(20);
    }
    expect(ready).toBe(503);
    const body = await res.text();
    expect(body).toContain('slow');
    expect(body).toContain('[DONE]');
    expect(await proc.exited).toBe(0);
    for (const pid of workerPids) expect(() => process.kill(pid, 0)).toThrow();
    const drained = proc.lines.filter((l) => l.msg === 'worker draining: no new streams, letting open ones finish');
    expect(new Set(drained.map((l) => l.pid))).toEqual(new Set(workerPids));
  });
});

describe('serve --workers 2 on a unix socket', () => {
  let socket: string;
  beforeAll(async () => {
    upstream.reply = async (req) => {
      await sleep(100);
      return { json: chatCompletion((JSON.parse(req.body.toString()) as { model: string }).model) };
    };
    socket = join(mkdtempSync(join(tmpdir(), 'llm-extproc-sock-')), 'extproc.sock');
    use(await startSetup({ unixSocket: socket }));
  }, 90_000);
  afterAll(stopSetup);

  it('both workers serve streams from the one socket; SIGTERM exits 0 and removes it', async () => {
    expect(existsSync(socket)).toBe(true);
    expect(await burst(16)).toEqual(Array(16).fill(200));
    const by = await usageByPid(16);
    expect([...by.keys()].sort()).toEqual([...workerPids].sort());
    expect(await waitForTotal('llm_extproc_requests_total', 16)).toBe(16);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});

describe('serve --workers, the flag', () => {
  it('anything but a whole number from 1 to 256 is a one-line error, exit 1; help lists the flag', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'llm-extproc-workers-')), 'config.yaml');
    writeFileSync(p, 'backends: { a: { provider: openai, endpoint: "http://127.0.0.1:9" } }\n');
    for (const bad of ['0', '1.5']) {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--config', p, '--workers', bad, '--grpc-port', '0', '--admin-port', '0'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`--workers: not a number of workers (1-256): ${bad}\n`);
    }
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.stdout).toContain('--workers N');
  });
});
