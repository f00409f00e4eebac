// What the e2e tests read besides the client's answer: the processor's log lines (the usage
// log), its Prometheus metrics, and the official Python clients installed by setup.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tapLogs } from '../../src/logger.js';

export type Line = Record<string, unknown>;

/** Collects the processor's log lines from now on (it runs in the test's process). */
export function captureLogs() {
  const lines: Line[] = [];
  const stop = tapLogs((l) => {
    for (const part of l.split('\n')) if (part.trim()) lines.push(JSON.parse(part) as Line);
  });
  return {
    lines,
    usage: (match: (l: Line) => boolean = () => true) => lines.filter((l) => l.msg === 'usage' && match(l)),
    stop,
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Scrapes /metrics and parses the Prometheus text format (enough of it for our own metrics). */
export async function scrape(adminUrl: string): Promise<Sample[]> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The one sample of `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value ?? 0;
}

export const VENV_PYTHON = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'python');

/** Runs a Python script with the project's .venv (setup installs the SDKs there); never skips. `stdin` is written to it, then closed. */
export async function runPython(script: string, args: string[], timeoutMs = 60_000, stdin?: string): Promise<string> {
  if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run \`npm run setup\` (it installs the Python test clients into .venv)`);
  const child = spawn(VENV_PYTHON, [script, ...args], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} exited ${code}: ${err || out}`);
  return out;
}
