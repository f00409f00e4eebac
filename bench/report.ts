// Per-run records -> per-setup medians over the measured rounds, the printed table, and
// the JSON written to bench/results/. Errors are summed, never averaged away: a setup
// with any failed request is flagged in the table and in the JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LONG_STREAM_EVENTS } from './fixtures.js';
import type { LoadResult } from './load.js';
import type { SetupId, Target } from './setups.js';

export interface RunRecord {
  setup: SetupId;
  /** 0 for the warm-up run. */
  round: number;
  startedAt: string;
  load: LoadResult;
  /** utime+stime over the run / completed responses, in µs; null when not measurable. loadgen is wrk. */
  cpuUsPerRequest: { processor: number | null; envoy: number | null; upstream: number; services: number | null; loadgen: number };
  /** Average cores kept busy during the run (1.0 = one core all the time). */
  cpuCores: { processor: number | null; envoy: number | null; upstream: number; loadgen: number };
  /** VmRSS at the end of the run. */
  processorRssMiB: number | null;
  /** VmHWM: the peak during the run when peakRssOfRun, else since the processor started. */
  processorPeakRssMiB: number | null;
  peakRssOfRun: boolean | null;
  envoyRssMiB: number | null;
  /** ext_proc messages the processor received per response, by phase. */
  extprocMessagesPerRequest: Record<string, number> | null;
  /** Change of every llm_extproc_* counter over the run. */
  processorCounters: Record<string, number> | null;
  /** Change of Envoy's error-related counters (ext_proc, 5xx, resets, timeouts) over the run. */
  envoyCounters: Record<string, number>;
}

export interface Ratio {
  rps: number;
  p50: number;
  p99: number;
}

export interface SetupSummary {
  setup: SetupId;
  label: string;
  baseline: SetupId;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Against the setup with the same response kind (a for plain, a-sse for SSE). */
  vsBaseline: Ratio;
  /** Against (a), Envoy alone with plain responses. */
  vsA: Ratio;
  processorCpuUsPerRequest: number | null;
  processorRssMiB: number | null;
  /** The highest peak of the measured rounds. */
  processorPeakRssMiB: number | null;
  /** wrk's CPU per request: what loading this setup cost the machine besides the setup. */
  loadgenCpuUsPerRequest: number;
  envoyCpuUsPerRequest: number | null;
  /** The setup's other processes (the ratelimit service and Redis), per request. */
  servicesCpuUsPerRequest: number | null;
  extprocMessagesPerRequest: Record<string, number> | null;
  /** Failed requests summed over the measured rounds (non-2xx, socket errors/timeouts, bad bodies). */
  errors: number;
  runsWithErrors: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function medianOrNull(xs: (number | null)[]): number | null {
  const present = xs.filter((x): x is number => x !== null);
  return present.length ? median(present) : null;
}

function maxOrNull(xs: (number | null)[]): number | null {
  const present = xs.filter((x): x is number => x !== null);
  return present.length ? Math.max(...present) : null;
}

export function summarize(targets: Target[], runs: RunRecord[]): SetupSummary[] {
  const partial = targets.map((t) => {
    const rs = runs.filter((r) => r.setup === t.id && r.round > 0);
    return {
      setup: t.id,
      label: t.label,
      baseline: t.baseline,
      rounds: rs.length,
      rps: median(rs.map((r) => r.load.rps)),
      p50Ms: median(rs.map((r) => r.load.latencyMs.p50)),
      p99Ms: median(rs.map((r) => r.load.latencyMs.p99)),
      processorCpuUsPerRequest: medianOrNull(rs.map((r) => r.cpuUsPerRequest.processor)),
      processorRssMiB: medianOrNull(rs.map((r) => r.processorRssMiB)),
      processorPeakRssMiB: maxOrNull(rs.map((r) => r.processorPeakRssMiB)),
      loadgenCpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest.loadgen)),
      envoyCpuUsPerRequest: medianOrNull(rs.map((r) => r.cpuUsPerRequest.envoy)),
      servicesCpuUsPerRequest: medianOrNull(rs.map((r) => r.cpuUsPerRequest.services)),
      extprocMessagesPerRequest: rs.at(-1)?.extprocMessagesPerRequest ?? null,
      errors: rs.reduce((s, r) => s + r.load.errorCount, 0),
      runsWithErrors: rs.filter((r) => r.load.errorCount > 0).length,
    };
  });
  const byId = new Map(partial.map((p) => [p.setup, p]));
  const ratio = (p: (typeof partial)[number], base: SetupId): Ratio => {
    const b = byId.get(base)!;
    return { rps: p.rps / b.rps, p50: p.p50Ms / b.p50Ms, p99: p.p99Ms / b.p99Ms };
  };
  return partial.map((p) => ({ ...p, vsBaseline: ratio(p, p.baseline), vsA: ratio(p, 'a') }));
}

export interface SseCost {
  /** Processor CPU per response body message the long stream adds. */
  usPerBodyMessage: number;
  bodyMessages: number;
  /** Processor CPU per SSE event of the long stream. */
  usPerEvent: number;
  events: number;
}

/**
 * What the long stream costs the processor beyond a plain request, divided by the response
 * body messages it adds (Envoy may deliver several SSE events in one message) and by the
 * events it carries (known from the fixture, whatever the framing).
 */
export function sseCost(summaries: SetupSummary[]): SseCost | undefined {
  const long = summaries.find((s) => s.setup === 'c-sse-long');
  const plain = summaries.find((s) => s.setup === 'c-plain');
  const msgs = (s: SetupSummary | undefined) => s?.extprocMessagesPerRequest?.response_body;
  if (!long?.processorCpuUsPerRequest || !plain?.processorCpuUsPerRequest || !msgs(long) || msgs(plain) === undefined) return undefined;
  const extra = msgs(long)! - msgs(plain)!;
  if (extra <= 0) return undefined;
  const us = long.processorCpuUsPerRequest - plain.processorCpuUsPerRequest;
  return { usPerBodyMessage: us / extra, bodyMessages: msgs(long)!, usPerEvent: us / LONG_STREAM_EVENTS, events: LONG_STREAM_EVENTS };
}

const fmt = (x: number | null, digits = 0) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits));

export function formatTable(summaries: SetupSummary[]): string {
  const header = ['setup', 'what', 'req/s', 'x req/s', 'p50 ms', 'x p50', 'p99 ms', 'x p99', 'vs', 'proc us/req', 'proc RSS MiB', 'peak MiB', 'envoy us/req', 'wrk us/req', 'errors'];
  const rows = summaries.map((s) => [
    s.setup,
    s.label,
    fmt(s.rps),
    fmt(s.vsBaseline.rps, 2),
    fmt(s.p50Ms, 2),
    fmt(s.vsBaseline.p50, 2),
    fmt(s.p99Ms, 2),
    fmt(s.vsBaseline.p99, 2),
    s.baseline,
    fmt(s.processorCpuUsPerRequest),
    fmt(s.processorRssMiB, 1),
    fmt(s.processorPeakRssMiB, 1),
    fmt(s.envoyCpuUsPerRequest),
    fmt(s.loadgenCpuUsPerRequest),
    s.errors === 0 ? '0' : `${s.errors} IN ${s.runsWithErrors}/${s.rounds} RUNS`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const textCols = new Set([0, 1, 8]);
  const line = (cells: string[]) => cells.map((c, i) => (textCols.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const phases = summaries
    .filter((s) => s.extprocMessagesPerRequest)
    .map((s) => `  ${s.setup}: ${Object.entries(s.extprocMessagesPerRequest!).map(([p, n]) => `${p} ${n}`).join(', ') || '(none)'}`);
  if (phases.length) out.push('', 'ext_proc messages per request (last round):', ...phases);
  const sse = sseCost(summaries);
  const limited = summaries.find((s) => s.setup === 'l-plain');
  const plain = summaries.find((s) => s.setup === 'c-plain');
  if (limited && plain && limited.envoyCpuUsPerRequest !== null && plain.envoyCpuUsPerRequest !== null) {
    out.push(
      '',
      `rate limit check per request (l-plain minus c-plain): Envoy ${fmt(limited.envoyCpuUsPerRequest - plain.envoyCpuUsPerRequest)} us, ` +
        `processor ${fmt((limited.processorCpuUsPerRequest ?? 0) - (plain.processorCpuUsPerRequest ?? 0))} us, ratelimit service + Redis ${fmt(limited.servicesCpuUsPerRequest)} us; ` +
        `p50 ${fmt(limited.p50Ms - plain.p50Ms, 2)} ms`,
    );
  }
  if (sse) {
    out.push(
      '',
      `processor CPU per SSE event: ${fmt(sse.usPerEvent, 2)} us (c-sse-long minus c-plain, over the ${sse.events} events of the long stream)`,
      `processor CPU per SSE body message: ${fmt(sse.usPerBodyMessage, 1)} us (the same, over ${fmt(sse.bodyMessages, 1)} body messages per stream)`,
    );
  }
  return out.join('\n');
}

export async function writeResults(dir: string, doc: unknown, startedAt: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  await writeFile(join(dir, name), text);
  await writeFile(join(dir, 'latest.json'), text);
  return join(dir, name);
}
