// Processes of the concurrency test besides Envoy: the processor as users run it
// (`llm-extproc serve` from dist/, in its own process so its memory can be measured), the
// peak resident memory of a process, and the open-files limit a 10,000-connection run needs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface ProcessorChild {
  child: ChildProcess;
  grpcPort: number;
  adminUrl: string;
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** `llm-extproc serve` on free ports; resolves once /readyz says so. */
export async function startProcessorChild(configPath: string): Promise<ProcessorChild> {
  const bin = join(ROOT, 'bin', 'llm-extproc.js');
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first)');
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [bin, 'serve', '--config', configPath, '--grpc-port', String(grpcPort), '--admin-port', String(adminPort)], {
    env: { ...process.env, LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-16_384));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
  };
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`processor exited (${child.exitCode}) before it was ready:\n${out}`);
    const ready = await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`processor not ready within 15 s:\n${out}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { child, grpcPort, adminUrl, output: () => out, stop };
}

/** The kernel's high-water mark of a process's resident memory (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** User plus system CPU time of a process so far, in seconds (Linux reports it in 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces); utime and stime are 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function openFilesLimit(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(line?.[1]), hard: n(line?.[2]) };
}

/**
 * Makes sure this process (and the Envoy and processor it spawns, which inherit the limit)
 * may open `needed` files. Node cannot call setrlimit; util-linux's prlimit can change a
 * running process's limit (raising the hard limit needs root). Throws with the numbers when
 * the machine will not allow it: the test must not quietly run smaller.
 */
export function ensureOpenFiles(needed: number): { soft: number; hard: number } {
  const before = openFilesLimit();
  if (before.soft >= needed) return before;
  const target = Math.max(needed, Math.min(before.hard, 1_048_576));
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${Math.max(target, before.hard)}`], { stdio: 'pipe' });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`open files limit is ${before.soft} (hard ${before.hard}); this test needs ${needed} and could not raise it (${why}): run it with \`ulimit -n ${needed}\``);
  }
  const after = openFilesLimit();
  if (after.soft < needed) throw new Error(`open files limit is still ${after.soft} after prlimit; this test needs ${needed}`);
  return after;
}
