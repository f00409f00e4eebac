// `npm run bench`: Envoy alone vs Envoy + the ext_proc processor (passthrough route, and a
// completions route with plain and SSE responses), all on 127.0.0.1, loaded by wrk,
// interleaved rounds, medians, the processor's CPU per request and SSE event and its RSS.
// See bench/README.md for how to read it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ENVOY_MISSING_HINT, envoyVersion, findEnvoy, type FoundEnvoy } from '../src/envoy/find.js';
import { counterDelta, messagesPerRequest, preflight, scrapeCounters, scrapeEnvoyCounters } from './checks.js';
import { Reaper, requireBuiltCli, startUpstream, type UpstreamProcess } from './children.js';
import { REQUEST_BODY_BYTES } from './fixtures.js';
import { runLoad, stopCurrentLoad, WRK_THREADS } from './load.js';
import { clkTck, cpuMicros, peakRssBytes, procAvailable, resetPeakRss, rssBytes } from './procstat.js';
import { formatTable, type RunRecord, sseCost, summarize, writeResults } from './report.js';
import { SETUP_ORDER, startSetups, type Target } from './setups.js';
import { ensureWrk, type Wrk } from './wrk/install.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const SETTLE_MS = 300;
const MIB = 1024 * 1024;

const USAGE = `usage: npm run bench -- [--duration S] [--connections N] [--rounds N] [--warmup S]

  --duration S      whole seconds per measured run (default 5; env BENCH_DURATION)
  --connections N   concurrent keep-alive connections (default 16; env BENCH_CONNECTIONS)
  --rounds N        interleaved measured rounds (default 3; env BENCH_ROUNDS)
  --warmup S        whole seconds of the one warm-up run per setup, 0 skips it (default 2; env BENCH_WARMUP)
`;

interface Settings {
  durationS: number;
  connections: number;
  rounds: number;
  warmupS: number;
}

function settings(argv: string[]): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const num = (flag: string | undefined, env: string, dflt: number, name: string, integer: boolean, min: number) => {
    const raw = flag ?? process.env[env];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} (or ${env}): expected ${integer ? 'an integer' : 'a number'} >= ${min}, got ${raw}`);
    }
    return n;
  };
  return {
    // wrk runs for whole seconds.
    durationS: num(values.duration, 'BENCH_DURATION', 5, 'duration', true, 1),
    connections: num(values.connections, 'BENCH_CONNECTIONS', 16, 'connections', true, 1),
    rounds: num(values.rounds, 'BENCH_ROUNDS', 3, 'rounds', true, 1),
    warmupS: num(values.warmup, 'BENCH_WARMUP', 2, 'warmup', true, 0),
  };
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function machineInfo(envoy: FoundEnvoy, wrk: Wrk) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    envoy: envoy.kind === 'binary' ? { version: (await envoyVersion(envoy.path)) ?? 'unknown', path: envoy.path, source: envoy.source } : { image: envoy.image },
    envoyWorkers: 1,
    loadGenerator: { tool: 'wrk', version: wrk.version, path: wrk.path, threads: WRK_THREADS },
    clkTck: clkTck(),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: (git(['status', '--porcelain']) ?? '') !== '',
    loadavgAtStart: loadavg(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function checkAlive(t: Target): void {
  const gone = t.processor?.exitInfo();
  if (gone) throw new Error(`${gone}:\n${t.processor!.output.toString().trim()}`);
  const child = t.envoy.child;
  if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`Envoy of ${t.id} exited:\n${t.envoy.logs()}`);
}

async function measure(t: Target, upstream: UpstreamProcess, wrk: Wrk, s: Settings, round: number): Promise<RunRecord> {
  checkAlive(t);
  const envoyPid = t.envoy.child?.pid;
  const procPid = t.processor?.pid;
  const counters0 = t.processor ? await scrapeCounters(t.processor.adminUrl) : undefined;
  const envoyCounters0 = await scrapeEnvoyCounters(t.envoy.adminUrl);
  const startedAt = new Date().toISOString();
  const t0 = process.hrtime.bigint();
  const servicesCpu = () => (t.servicePids ?? []).reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const peakOfRun = procPid ? resetPeakRss(procPid) : null;
  const cpu0 = { processor: procPid ? cpuMicros(procPid) : 0, envoy: envoyPid ? cpuMicros(envoyPid) : 0, upstream: cpuMicros(upstream.pid), services: servicesCpu() };
  const load = await runLoad({ wrk: wrk.path, url: t.url, body: t.body, connections: s.connections, durationS: round === 0 ? s.warmupS : s.durationS, bodyShape: t.bodyShape });
  const cpu1 = { processor: procPid ? cpuMicros(procPid) : 0, envoy: envoyPid ? cpuMicros(envoyPid) : 0, upstream: cpuMicros(upstream.pid), services: servicesCpu() };
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const counters1 = t.processor ? await scrapeCounters(t.processor.adminUrl) : undefined;
  const envoyCounters = Object.fromEntries(counterDelta(envoyCounters0, await scrapeEnvoyCounters(t.envoy.adminUrl)));
  checkAlive(t);
  const n = Math.max(1, load.responses);
  const perReq = (us: number) => Math.round((us / n) * 10) / 10;
  const cores = (us: number) => Math.round((us / wallUs) * 100) / 100;
  const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;
  const delta = counters0 && counters1 ? counterDelta(counters0, counters1) : undefined;
  return {
    setup: t.id,
    round,
    startedAt,
    load,
    cpuUsPerRequest: {
      processor: procPid ? perReq(cpu1.processor - cpu0.processor) : null,
      envoy: envoyPid ? perReq(cpu1.envoy - cpu0.envoy) : null,
      upstream: perReq(cpu1.upstream - cpu0.upstream),
      services: t.servicePids ? perReq(cpu1.services - cpu0.services) : null,
      loadgen: perReq(load.loadgenCpuUs),
    },
    cpuCores: {
      processor: procPid ? cores(cpu1.processor - cpu0.processor) : null,
      envoy: envoyPid ? cores(cpu1.envoy - cpu0.envoy) : null,
      upstream: cores(cpu1.upstream - cpu0.upstream),
      loadgen: cores(load.loadgenCpuUs),
    },
    processorRssMiB: procPid ? mib(rssBytes(procPid)) : null,
    processorPeakRssMiB: procPid ? mib(peakRssBytes(procPid)) : null,
    peakRssOfRun: peakOfRun,
    envoyRssMiB: envoyPid ? mib(rssBytes(envoyPid)) : null,
    extprocMessagesPerRequest: delta ? messagesPerRequest(delta, load.responses) : null,
    processorCounters: delta ? Object.fromEntries(delta) : null,
    envoyCounters,
  };
}

function progress(r: RunRecord, s: Settings): void {
  const tag = r.round === 0 ? 'warm-up' : `round ${r.round}/${s.rounds}`;
  const l = r.load;
  const proc = r.cpuUsPerRequest.processor === null ? '' : `  proc ${r.cpuUsPerRequest.processor} us/req ${r.processorRssMiB} MiB (peak ${r.processorPeakRssMiB})`;
  const errs = l.errorCount ? `  ERRORS ${l.errorCount} (non-2xx ${l.non2xx}, socket ${l.socketErrors}, timeouts ${l.timeouts}, bad body ${l.badBodies}; ${JSON.stringify(l.statusCodes)})\n    first: ${l.errorSamples[0] ?? '-'}` : '';
  process.stderr.write(
    `[${tag}] ${r.setup.padEnd(10)} ${l.rps.toFixed(0).padStart(6)} req/s  p50 ${l.latencyMs.p50.toFixed(2)} ms  p99 ${l.latencyMs.p99.toFixed(2)} ms${proc}  envoy ${r.cpuUsPerRequest.envoy ?? '-'} us/req  wrk ${r.cpuUsPerRequest.loadgen} us/req${errs}\n`,
  );
}

// Counters that move in every healthy run: wrk cutting its connections at the end
// of a run, and Envoy ending each ext_proc stream with a reset rather than a half-close.
const ROUTINE_ENVOY_COUNTERS = /downstream_rq_rx_reset|cx_destroy_.*with_active_rq|tx_reset|stream_msgs_|streams_(started|closed)$/;

function describeFailures(r: RunRecord): string {
  const l = r.load;
  const envoy = Object.entries(r.envoyCounters)
    .filter(([k]) => !ROUTINE_ENVOY_COUNTERS.test(k) && !k.startsWith('listener.'))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `${r.setup} ${r.round === 0 ? 'warm-up' : `round ${r.round}`}: ${l.errorCount} failed (status ${JSON.stringify(l.statusCodes)}, socket ${l.socketErrors}, ` +
    `timeouts ${l.timeouts}, bad body ${l.badBodies}); Envoy: ${envoy || '-'}; first: ${l.errorSamples[0] ?? '-'}`
  );
}

async function main(reaper: Reaper): Promise<number> {
  const s = settings(process.argv.slice(2));
  if (!s) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!procAvailable()) throw new Error('the benchmark reads processor CPU and memory from /proc: it runs on Linux only');
  const bin = requireBuiltCli(ROOT);
  const envoy = await findEnvoy();
  if (!envoy) throw new Error(ENVOY_MISSING_HINT);
  if (envoy.kind !== 'binary') process.stderr.write(`note: Envoy runs in Docker (${envoy.image}); its CPU and memory are not measured\n`);
  const startedAt = new Date();
  const wrk = await ensureWrk();
  const machine = await machineInfo(envoy, wrk);
  const perSetupS = s.warmupS + s.rounds * s.durationS;
  process.stderr.write(
    `llm-extproc bench: ${s.connections} connections, ${s.durationS} s x ${s.rounds} rounds + ${s.warmupS} s warm-up per setup ` +
      `(~${Math.ceil((SETUP_ORDER.length * perSetupS) / 10) * 10} s); Envoy ${'version' in machine.envoy ? machine.envoy.version : machine.envoy.image} with 1 worker each, ` +
      `wrk ${wrk.version}, node ${machine.node}, ${machine.cpus} CPUs\n`,
  );

  const [load1] = loadavg();
  if (load1! > machine.cpus / 2) {
    process.stderr.write(`note: load average ${load1!.toFixed(1)} on ${machine.cpus} CPUs before starting: other work competes for the CPUs; trust the ratios more than absolute figures\n`);
  }

  const tmp = await mkdtemp(join(tmpdir(), 'llm-extproc-bench-'));
  reaper.add('temp dir', () => rm(tmp, { recursive: true, force: true }));
  const upstream = await startUpstream(reaper, BENCH_DIR);
  const { targets } = await startSetups(reaper, { bin, tmp, upstreamUrl: upstream.url, envoy });
  const ordered = SETUP_ORDER.map((id) => targets.find((t) => t.id === id)!);

  const notes: string[] = [];
  for (const t of ordered) notes.push(...(await preflight(t, upstream)));
  for (const n of notes) process.stderr.write(`note: ${n}\n`);

  const runs: RunRecord[] = [];
  const record = (r: RunRecord) => {
    if (interrupted) throw new Error('interrupted');
    runs.push(r);
    progress(r, s);
  };
  if (s.warmupS > 0) {
    for (const t of ordered) {
      record(await measure(t, upstream, wrk, s, 0));
      await sleep(SETTLE_MS);
    }
  }
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of ordered) {
      record(await measure(t, upstream, wrk, s, round));
      await sleep(SETTLE_MS);
    }
  }

  const summary = summarize(ordered, runs);
  const upstreamStats = await upstream.stats();
  const processorWarnings = Object.fromEntries(ordered.filter((t) => t.processor).map((t) => [t.id, t.processor!.output.warnings]));
  const warmupErrors = runs.filter((r) => r.round === 0).reduce((n, r) => n + r.load.errorCount, 0);
  const measuredErrors = summary.reduce((n, x) => n + x.errors, 0);

  const table = formatTable(summary);
  process.stdout.write(`\n${table}\n\n`);
  process.stdout.write(
    'x = ratio against the "vs" setup (same response kind: a for plain, a-sse for SSE); medians over rounds.\n' +
      'proc/envoy us/req = CPU time (user+system, all threads) of that process per completed request; proc RSS = VmRSS at the end of the run, peak = VmHWM during it.\n',
  );
  if (upstreamStats.rejected > 0) process.stdout.write(`WARNING: the fake upstream rejected ${upstreamStats.rejected} requests\n`);
  for (const [id, n] of Object.entries(processorWarnings)) if (n > 0) process.stdout.write(`WARNING: processor ${id} logged ${n} warnings or errors\n`);
  if (warmupErrors > 0) process.stdout.write(`WARNING: ${warmupErrors} failed requests during warm-up (not in the summary; see the JSON)\n`);
  if (measuredErrors > 0) process.stdout.write(`ERRORS: ${measuredErrors} failed requests in measured runs; their figures are not trustworthy\n`);
  for (const r of runs.filter((x) => x.load.errorCount > 0)) process.stdout.write(`  ${describeFailures(r)}\n`);

  const file = await writeResults(
    RESULTS_DIR,
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      settings: { ...s, requestBodyBytes: REQUEST_BODY_BYTES, envoyWorkers: 1, order: SETUP_ORDER },
      machine: { ...machine, loadavgAtEnd: loadavg() },
      setups: ordered.map((t) => ({ id: t.id, label: t.label, baseline: t.baseline, stream: t.stream, processorPid: t.processor?.pid ?? null })),
      summary,
      sseCost: sseCost(summary) ?? null,
      runs,
      upstream: upstreamStats,
      processorWarnings,
      notes,
      table,
    },
    startedAt,
  );
  process.stdout.write(`results: ${file} (and bench/results/latest.json)\n`);
  return measuredErrors > 0 ? 1 : 0;
}

const reaper = new Reaper();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C does not wait: the 'exit' hook SIGKILLs whatever is left.
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the load and every child process\n`);
    stopCurrentLoad();
    void reaper.stopAll().finally(() => process.exit(130));
  });
}

main(reaper)
  .then(async (code) => {
    if (interrupted) return; // the signal handler is stopping everything and exits
    await reaper.stopAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    if (interrupted) return;
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await reaper.stopAll();
    process.exit(1);
  });
