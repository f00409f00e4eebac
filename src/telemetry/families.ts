// Counter and histogram families whose children are plain objects the hot path keeps a
// reference to: observing is arithmetic, not a label lookup. prom-client's own metrics
// hash the label set on every observe(); these plug into its Registry (registerMetric)
// so scraping, text format and escaping stay prom-client's.
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface PromValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: PromValue[]; aggregator: 'sum' }>;
  reset(): void;
}

export class CounterChild {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(n = 1): void {
    this.value += n;
  }
}

export class HistogramChild {
  /** Non-cumulative counts per bucket (the last is +Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

abstract class BaseFamily<C extends { labels: Labels }> implements Family {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract make(labels: Labels): C;
  protected abstract values(c: C): PromValue[];

  /** The child for these labels; `key` must identify them (the caller builds it once). */
  child(key: string, labels: Labels): C {
    let c = this.children.get(key);
    if (!c) {
      c = this.make(labels);
      this.children.set(key, c);
    }
    return c;
  }

  async get() {
    const values: PromValue[] = [];
    for (const c of this.children.values()) values.push(...this.values(c));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.children.clear();
  }
}

export class CounterFamily extends BaseFamily<CounterChild> {
  readonly type = 'counter' as const;

  protected make(labels: Labels): CounterChild {
    return new CounterChild(labels);
  }

  protected values(c: CounterChild): PromValue[] {
    return [{ labels: c.labels, value: c.value }];
  }
}

export class HistogramFamily extends BaseFamily<HistogramChild> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, registry);
  }

  protected make(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }

  protected values(c: HistogramChild): PromValue[] {
    const out: PromValue[] = [];
    let acc = 0;
    this.bounds.forEach((le, i) => {
      acc += c.counts[i]!;
      out.push({ labels: { ...c.labels, le }, value: acc, metricName: `${this.name}_bucket` });
    });
    out.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
    out.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
    out.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` });
    return out;
  }
}
