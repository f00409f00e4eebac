// The benchmark's child processes: the fake upstream (forked, IPC) and the processor
// (`node bin/llm-extproc.js serve` from dist/). Every child is registered with a Reaper
// that stops it on normal exit, on SIGINT/SIGTERM and on errors; a synchronous SIGKILL on
// process 'exit' covers the rest.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { UpstreamMessage, UpstreamStats } from './upstream.js';

/** Stops everything the benchmark started, newest first, once. */
export class Reaper {
  private stops: { name: string; stop: () => Promise<void> }[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly killAll = () => {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };

  constructor() {
    process.on('exit', this.killAll);
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }

  async stopAll(): Promise<void> {
    const stops = this.stops.reverse();
    this.stops = [];
    for (const { name, stop } of stops) {
      await stop().catch((err: unknown) => process.stderr.write(`stopping ${name}: ${(err as Error).message}\n`));
    }
    this.killAll();
    process.off('exit', this.killAll);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago (the processor's CLI needs numbers up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the last few KiB of a child's output, and counts pino lines at warn level or above. */
export class OutputTail {
  private text = '';
  warnings = 0;
  push(chunk: Buffer): void {
    const s = chunk.toString();
    for (const m of s.matchAll(/"level":(\d+)/g)) if (Number(m[1]) >= 40) this.warnings++;
    this.text = (this.text + s).slice(-16 * 1024);
  }
  toString(): string {
    return this.text;
  }
}

export interface UpstreamProcess {
  pid: number;
  port: number;
  url: string;
  stats(): Promise<UpstreamStats>;
}

export async function startUpstream(reaper: Reaper, benchDir: string): Promise<UpstreamProcess> {
  // fork() reuses our execArgv, which under `tsx` carries its loader: the child runs TypeScript too.
  const child = fork(join(benchDir, 'upstream.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  reaper.track(child);
  reaper.add('upstream', () => terminate(child));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake upstream did not start within 15 s')), 15_000);
    child.once('exit', (code, signal) => reject(new Error(`fake upstream exited before it was ready (${signal ?? `code ${code}`})`)));
    child.on('message', (msg: UpstreamMessage) => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
  });
  return {
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('fake upstream did not answer a stats request')), 5000);
        const onMessage = (msg: UpstreamMessage) => {
          if (msg.type !== 'stats') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(msg.stats);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
  };
}

export interface ProcessorProcess {
  pid: number;
  grpcPort: number;
  adminUrl: string;
  output: OutputTail;
  /** Set once the process has exited. */
  exitInfo(): string | undefined;
}

export function requireBuiltCli(root: string): string {
  const bin = join(root, 'bin', 'llm-extproc.js');
  if (!existsSync(join(root, 'dist', 'cli.js'))) {
    throw new Error(`dist/cli.js is missing: the benchmark runs the built processor. Run \`npm run build\` first.`);
  }
  return bin;
}

export async function startProcessorProcess(reaper: Reaper, name: string, bin: string, configPath: string): Promise<ProcessorProcess> {
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', '--config', configPath, '--grpc-port', String(grpcPort), '--admin-port', String(adminPort)], {
    // A short drain: the benchmark stops the processor only after its load has ended.
    env: { ...process.env, SHUTDOWN_GRACE_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reaper.track(child);
  reaper.add(`processor ${name}`, () => terminate(child));
  const output = new OutputTail();
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `processor ${name} exited (${signal ?? `code ${code}`})`));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`${exited} before it was ready:\n${output.toString().trim()}`);
    const ok = await fetch(`${adminUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`processor ${name} not ready within 15 s:\n${output.toString().trim()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, grpcPort, adminUrl, output, exitInfo: () => exited };
}
