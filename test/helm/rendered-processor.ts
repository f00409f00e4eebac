// The chart's processor container, run here as the pod would run it: the image's ENTRYPOINT
// (read from the Dockerfile) with the rendered Deployment's args and env, the rendered
// ConfigMap and Secret laid out as files. What differs from the pod: each volume is a temp
// directory, so the mount paths (/etc/llm-extproc, /run/secrets/llm-extproc) are rewritten to
// those directories in the args and in the config file's text (whose secret files point into
// the Secret's mount); `node` is this machine's and the working directory the repo root (the
// image's /app, built by `npm run build`).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/envoy/find.js';
import type { Manifest } from './tools.js';

const ROOT = packageRoot();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

export interface RunningProcessor {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function only(ms: Manifest[], kind: string): Manifest {
  const found = ms.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0]!;
}

/** The image's ENTRYPOINT, from the Dockerfile's last stage. */
function entrypoint(): string[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const final = text.slice(text.lastIndexOf('\nFROM '));
  return JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(final)![1]!) as string[];
}

/** Starts the rendered processor container; resolves once its /readyz (on the admin port) answers 200. */
export async function startRenderedProcessor(ms: Manifest[], adminPort: number): Promise<RunningProcessor> {
  const pod = only(ms, 'Deployment').spec.template.spec;
  const c = pod.containers.find((x: { name: string }) => x.name === 'processor');
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-eg-pod-'));
  const mounts: Record<string, string> = { '/etc/llm-extproc': join(dir, 'config'), '/run/secrets/llm-extproc': join(dir, 'secrets') };
  for (const m of c.volumeMounts as { mountPath: string }[]) {
    if (m.mountPath !== '/tmp' && !mounts[m.mountPath]) throw new Error(`the processor mounts ${m.mountPath}, which this runner does not lay out`);
  }
  const map = (s: string) => Object.entries(mounts).reduce((acc, [from, to]) => acc.replaceAll(`${from}/`, `${to}/`), s);
  mkdirSync(mounts['/etc/llm-extproc']!);
  mkdirSync(mounts['/run/secrets/llm-extproc']!);
  for (const [name, text] of Object.entries(only(ms, 'ConfigMap').data as Record<string, string>)) writeFileSync(join(mounts['/etc/llm-extproc']!, name), map(text));
  const secret = ms.find((m) => m.kind === 'Secret');
  for (const [name, text] of Object.entries((secret?.stringData ?? {}) as Record<string, string>)) writeFileSync(join(mounts['/run/secrets/llm-extproc']!, name), text);
  const [cmd, ...entryArgs] = entrypoint();
  if (cmd !== 'node') throw new Error(`the image's ENTRYPOINT runs ${cmd}, not node`);
  const env: Record<string, string> = { ...(process.env as Record<string, string>), TMPDIR: dir };
  for (const e of (c.env ?? []) as { name: string; value?: string }[]) if (e.value !== undefined) env[e.name] = e.value;
  const child = spawn(process.execPath, [...entryArgs, ...(c.args as string[]).map(map)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-256 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  let last = 'no answer';
  for (const end = Date.now() + 30_000; Date.now() < end; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`the processor exited (${child.exitCode}): ${out.slice(-3000)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return { child, output: () => out, stop };
      last = `${r.status}`;
    } catch (err) {
      last = String(err);
    }
  }
  await stop();
  throw new Error(`the processor was not ready: ${last}\n${out.slice(-3000)}`);
}
