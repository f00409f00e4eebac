// One measured run: wrk (one thread, a fixed number of keep-alive connections, a fixed
// time) against one URL, with bench/wrk/post.lua checking every response. wrk times each
// response to its last byte (a stream counts once fully read) at 1 µs resolution, and
// being C rather than Node it leaves the shared cores to what is measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BodyShape } from './fixtures.js';
import { clkTck } from './procstat.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'wrk', 'post.lua');
// One thread: the two cores are shared with Envoy, the processor and the upstream.
export const WRK_THREADS = 1;
const TIMEOUT = '10s';
// Separates the `includes` needles for the Lua side (no needle holds a control character).
const NEEDLE_SEPARATOR = '\x1f';
const OUTPUT_TAIL = 4096;

export interface LoadOptions {
  wrk: string;
  url: string;
  body: string;
  connections: number;
  /** Whole seconds: wrk takes no fractions. */
  durationS: number;
  bodyShape: BodyShape;
}

export interface LoadResult {
  /** Wall time of the run in seconds, as wrk measured it. */
  durationS: number;
  /** Completed responses (any status). */
  responses: number;
  /** 2xx responses with a body of the expected shape. */
  ok: number;
  rps: number;
  /** Of every completed response, to its last byte. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Responses that were not 2xx. */
  non2xx: number;
  /** Connect, read and write errors. */
  socketErrors: number;
  timeouts: number;
  /** 2xx responses whose body did not have the expected shape. */
  badBodies: number;
  statusCodes: Record<string, number>;
  /** non2xx + socketErrors + timeouts + badBodies: anything but a verified 2xx. */
  errorCount: number;
  /** The first few failures, to say what went wrong. */
  errorSamples: string[];
  /** wrk's own CPU time (user + system) over the run, in µs. */
  loadgenCpuUs: number;
}

/** What post.lua's done() writes. */
interface WrkResult {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  badBodies: number;
  statusCodes: Record<string, number>;
  samples: string[];
  cpuTicks: { user: number; system: number };
}

function isWrkResult(x: unknown): x is WrkResult {
  const o = x as Partial<WrkResult> | null;
  return (
    typeof o === 'object' && o !== null &&
    typeof o.requests === 'number' && typeof o.durationUs === 'number' && typeof o.non2xx === 'number' && typeof o.badBodies === 'number' &&
    typeof o.errors === 'object' && typeof o.latencyUs === 'object' && typeof o.statusCodes === 'object' && Array.isArray(o.samples) && typeof o.cpuTicks === 'object'
  );
}

let current: ChildProcess | undefined;

/** Stops the run in progress: on SIGINT wrk ends early and still writes its result. */
export function stopCurrentLoad(): void {
  current?.kill('SIGINT');
}

function toLoadResult(r: WrkResult): LoadResult {
  const durationS = r.durationUs / 1e6;
  const e = r.errors;
  const socketErrors = e.connect + e.read + e.write;
  const ok = r.requests - r.non2xx - r.badBodies;
  const samples = [...r.samples];
  // wrk counts socket errors but keeps no message for them.
  if (socketErrors + e.timeout > 0) samples.unshift(`socket errors (wrk): connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`);
  const ms = (us: number) => us / 1000;
  return {
    durationS,
    responses: r.requests,
    ok,
    rps: ok / durationS,
    latencyMs: { p50: ms(r.latencyUs.p50), p90: ms(r.latencyUs.p90), p99: ms(r.latencyUs.p99), max: ms(r.latencyUs.max), mean: ms(r.latencyUs.mean) },
    non2xx: r.non2xx,
    socketErrors,
    timeouts: e.timeout,
    badBodies: r.badBodies,
    statusCodes: r.statusCodes,
    errorCount: r.non2xx + socketErrors + e.timeout + r.badBodies,
    errorSamples: samples,
    loadgenCpuUs: ((r.cpuTicks.user + r.cpuTicks.system) * 1e6) / clkTck(),
  };
}

function runWrk(o: LoadOptions, bodyFile: string, resultFile: string): Promise<void> {
  if (!Number.isInteger(o.durationS) || o.durationS < 1) throw new Error(`wrk runs for whole seconds, got ${o.durationS}`);
  const args = [`-t${WRK_THREADS}`, `-c${o.connections}`, `-d${o.durationS}s`, '--timeout', TIMEOUT, '--latency', '-s', SCRIPT, o.url];
  const env = {
    ...process.env,
    BENCH_WRK_BODY_FILE: bodyFile,
    BENCH_WRK_RESULT_FILE: resultFile,
    BENCH_WRK_PREFIX: o.bodyShape.startsWith,
    BENCH_WRK_SUFFIX: o.bodyShape.endsWith ?? '',
    BENCH_WRK_INCLUDES: o.bodyShape.includes.join(NEEDLE_SEPARATOR),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(o.wrk, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    // Should the bench die mid-run, wrk must not keep loading the machine.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    let output = '';
    const keep = (c: Buffer) => (output = (output + c.toString()).slice(-OUTPUT_TAIL));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      process.off('exit', killOnExit);
      if (code === 0) resolve();
      else reject(new Error(`wrk ${args.join(' ')} failed (${signal ?? `code ${code}`}):\n${output.trim()}`));
    });
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-extproc-wrk-'));
  try {
    const bodyFile = join(dir, 'body.json');
    const resultFile = join(dir, 'result.json');
    await writeFile(bodyFile, o.body);
    await runWrk(o, bodyFile, resultFile);
    const text = await readFile(resultFile, 'utf8').catch(() => {
      throw new Error(`wrk exited without writing ${resultFile} (did ${SCRIPT} fail?)`);
    });
    const parsed: unknown = JSON.parse(text);
    if (!isWrkResult(parsed)) throw new Error(`unexpected wrk result: ${text.slice(0, 300)}`);
    return toLoadResult(parsed);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
