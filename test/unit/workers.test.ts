// The pieces of `serve --workers` that need no processes: the restart backoff, the metrics
// aggregation over workers (sums, the shared remaining-limit figure once, a dead worker's
// counters kept), and the config object a worker compiles being the primary's.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { ClusterMetrics, type MetricsPeer } from '../../src/server/cluster-metrics.js';
import { type MetricsJson, msg, type ToWorker } from '../../src/server/cluster-messages.js';
import { restartDelay } from '../../src/server/workers.js';
import '../../src/ratelimit/remaining.js';
import { registry } from '../../src/telemetry/metrics.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('restartDelay', () => {
  it('replaces at once, then backs off doubling up to 30 s', () => {
    expect([1, 2, 3, 4, 5].map(restartDelay)).toEqual([0, 500, 1000, 2000, 4000]);
    expect(restartDelay(20)).toBe(30_000);
  });
});

/** A worker's registry as getMetricsAsJSON gives it. */
function worker(requests: number, active: number, remaining: number): MetricsJson {
  return [
    { name: 'wt_requests_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ labels: { backend: 'a' }, value: requests }] },
    { name: 'wt_streams_active', help: 'h', type: 'gauge', aggregator: 'sum', values: [{ labels: {}, value: active }] },
    { name: 'wt_limit_remaining', help: 'h', type: 'gauge', aggregator: 'min', values: [{ labels: { rule: 'r0' }, value: remaining }] },
    {
      name: 'wt_duration_seconds',
      help: 'h',
      type: 'histogram',
      aggregator: 'sum',
      values: [
        { labels: { le: 1 }, value: requests, metricName: 'wt_duration_seconds_bucket' },
        { labels: { le: '+Inf' }, value: requests, metricName: 'wt_duration_seconds_bucket' },
        { labels: {}, value: requests / 2, metricName: 'wt_duration_seconds_sum' },
        { labels: {}, value: requests, metricName: 'wt_duration_seconds_count' },
      ],
    },
  ] as unknown as MetricsJson;
}

/** Peers that answer each metrics request with their current registry (or stay silent). */
function fleet(registries: Map<number, MetricsJson>, silent = new Set<number>()) {
  const gatherer: ClusterMetrics = new ClusterMetrics(() => peers(), 200);
  const peers = (): MetricsPeer[] =>
    [...registries.keys()].map((id) => ({
      id,
      isConnected: () => true,
      send: (m: ToWorker) => {
        if (m.t === msg.metrics && !silent.has(id)) setImmediate(() => gatherer.receive(id, { t: msg.metrics, id: m.id, metrics: registries.get(id) }));
        return true;
      },
    }));
  return gatherer;
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('ClusterMetrics', () => {
  it('sums counters, histograms and gauges over workers; the remaining figure is one reading, not a sum', async () => {
    const text = await fleet(new Map([[1, worker(10, 2, 40)], [2, worker(5, 1, 39)]])).text();
    expect(value(text, 'wt_requests_total{backend="a"}')).toBe(15);
    expect(value(text, 'wt_streams_active')).toBe(3);
    expect(value(text, 'wt_duration_seconds_count')).toBe(15);
    expect(value(text, 'wt_duration_seconds_bucket{le="+Inf"}')).toBe(15);
    expect(value(text, 'wt_limit_remaining{rule="r0"}')).toBe(39);
  });

  it('keeps a dead worker’s counters and histograms (the sum never drops), not its gauges', async () => {
    const registries = new Map([[1, worker(10, 2, 40)], [2, worker(5, 1, 40)]]);
    const gatherer = fleet(registries);
    await gatherer.text();
    registries.delete(1);
    gatherer.retire(1);
    registries.set(3, worker(1, 1, 40));
    const text = await gatherer.text();
    expect(value(text, 'wt_requests_total{backend="a"}')).toBe(16);
    expect(value(text, 'wt_duration_seconds_count')).toBe(16);
    expect(value(text, 'wt_streams_active')).toBe(2);
    // Two retirements fold into one snapshot.
    registries.delete(2);
    gatherer.retire(2);
    expect(value(await gatherer.text(), 'wt_requests_total{backend="a"}')).toBe(16);
  });

  it('a worker that does not answer in time counts with its last answer', async () => {
    const registries = new Map([[1, worker(10, 0, 40)], [2, worker(5, 0, 40)]]);
    const silent = new Set<number>();
    const gatherer = fleet(registries, silent);
    await gatherer.text();
    silent.add(2);
    registries.set(1, worker(12, 0, 40));
    const started = Date.now();
    expect(value(await gatherer.text(), 'wt_requests_total{backend="a"}')).toBe(17);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

describe('the real metrics’ aggregators', () => {
  it('open streams sum over workers; the remaining allowance, read by each from the shared service, does not', () => {
    const aggregator = (name: string) => (registry.getSingleMetric(name) as unknown as { aggregator: string }).aggregator;
    expect(aggregator('llm_extproc_streams_active')).toBe('sum');
    expect(aggregator('llm_extproc_requests_total')).toBe('sum');
    expect(aggregator('llm_extproc_limit_remaining')).toBe('min');
  });
});

describe('a worker’s config', () => {
  it.each(readdirSync(join(ROOT, 'deploy/examples')).filter((f) => f.endsWith('.yaml')))('compiles from the primary’s config object to the same config: %s', (file) => {
    const primary = parseConfigObject(parse(readFileSync(join(ROOT, 'deploy/examples', file), 'utf8')));
    // What the IPC channel carries: JSON.
    const sent = JSON.parse(JSON.stringify(primary.file)) as unknown;
    const worker = parseConfigObject(sent);
    expect(worker.file).toEqual(primary.file);
    expect([...worker.backends.keys()]).toEqual([...primary.backends.keys()]);
  });
});
