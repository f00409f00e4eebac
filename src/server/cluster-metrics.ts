// /metrics under `serve --workers`: every worker's registry, asked for over IPC on each scrape
// and aggregated by prom-client's AggregatorRegistry with each metric's own aggregator
// (counters, histograms and llm_extproc_streams_active sum; llm_extproc_limit_remaining, the
// ratelimit service's shared figure that each worker reads, is its minimum, not a sum), plus the
// primary's own process metrics.
//
// Counters stay monotonic when a worker is replaced: a dead worker's last counters and
// histograms are kept and added in, so a sum never drops and Prometheus sees no false reset
// (what it counted after the last scrape before it died is lost, as with any crashed process).
// A worker that does not answer in time counts with its last answer.
import { AggregatorRegistry } from 'prom-client';
import { registry } from '../telemetry/metrics.js';
import { type FromWorker, type MetricsJson, msg, type ToWorker } from './cluster-messages.js';

/** What the gatherer needs of a worker: node:cluster's Worker fits. */
export interface MetricsPeer {
  id: number;
  isConnected(): boolean;
  send(m: ToWorker): boolean;
}

const DEFAULT_TIMEOUT_MS = 2000;

interface Pending {
  waiting: Set<number>;
  done(): void;
}

export class ClusterMetrics {
  private readonly latest = new Map<number, MetricsJson>();
  private retired: MetricsJson = [];
  private compacting: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly peers: () => Iterable<MetricsPeer>,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** A worker's answer (the primary routes its messages here). */
  receive(workerId: number, m: Extract<FromWorker, { t: typeof msg.metrics }>): void {
    if (m.metrics) this.latest.set(workerId, m.metrics);
    const p = this.pending.get(m.id);
    if (!p) return;
    p.waiting.delete(workerId);
    if (p.waiting.size === 0) p.done();
  }

  /** A worker exited: its counters and histograms stay in the totals, its gauges go. */
  retire(workerId: number): void {
    const last = this.latest.get(workerId);
    this.latest.delete(workerId);
    this.pending.forEach((p) => {
      p.waiting.delete(workerId);
      if (p.waiting.size === 0) p.done();
    });
    if (!last) return;
    // prom-client's typings say an enum; its JSON says 'counter', 'gauge', 'histogram'.
    const monotonic = last.filter((m) => ['counter', 'histogram'].includes(String(m.type)));
    // One folded snapshot, however many workers have come and gone.
    this.compacting = this.compacting.then(async () => {
      this.retired = (await AggregatorRegistry.aggregate([this.retired, monotonic]).getMetricsAsJSON()) as MetricsJson;
    });
  }

  /** Prometheus text of all workers (and this process), asking each connected worker now. */
  async text(): Promise<string> {
    await this.ask();
    await this.compacting;
    const own = (await registry.getMetricsAsJSON()) as MetricsJson;
    return AggregatorRegistry.aggregate([own, ...this.latest.values(), this.retired]).metrics();
  }

  get contentType(): string {
    return registry.contentType;
  }

  private ask(): Promise<void> {
    const id = this.nextId++;
    const waiting = new Set<number>();
    for (const w of this.peers()) {
      if (!w.isConnected()) continue;
      try {
        // false only means a backlog: the message still goes, and the timeout bounds the wait.
        w.send({ t: msg.metrics, id });
        waiting.add(w.id);
      } catch {
        // The channel closed between the check and the send: its last answer counts.
      }
    }
    if (waiting.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.timeoutMs);
      const pending = this.pending;
      function finish() {
        clearTimeout(timer);
        pending.delete(id);
        resolve();
      }
      this.pending.set(id, { waiting, done: finish });
    });
  }
}
