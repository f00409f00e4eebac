// What is left of each limit, as a metric. The counters live in the ratelimit service (Redis,
// shared by every replica), so on each scrape the processor asks the service for them,
// charging nothing (a per-descriptor hits_addend of 0): every replica reports the shared
// figure, not its own share. The descriptors asked for are the rules' named principals,
// backends and models, and for a rule's `*` the combinations this replica has served.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Gauge } from 'prom-client';
import type { RateLimitRule, RateLimits } from '../config/schema.js';
import { RATELIMIT_DOMAIN, ruleDimensions, ruleId, serviceAddress } from '../envoy/ratelimit.js';
import { logger } from '../logger.js';
import { registry } from '../telemetry/metrics.js';

/** One request's subject, as the rules' descriptors name it. */
export interface Subject {
  client?: string;
  backend?: string;
  model?: string;
}

const MAX_SUBJECTS = 512;
const MAX_DESCRIPTORS = 256;
const TIMEOUT_MS = 1000;
const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

type Labels = { rule: string; client: string; backend: string; model: string; counts: string };
interface Asked {
  labels: Labels;
  entries: { key: string; value: string }[];
  /** Budgets' counters hold millionths of a dollar; the metric says dollars. */
  scale: number;
}

function countsOf(r: RateLimitRule): { counts: string; scale: number } {
  if (r.budget) return { counts: 'usd', scale: 1e-6 };
  if (r.tokens) return { counts: `${r.tokens.count}_tokens`, scale: 1 };
  return { counts: 'requests', scale: 1 };
}

/** Every combination of a rule's named values, when it names no `*` (bounded by the config). */
function named(r: RateLimitRule): Subject[] {
  let out: Subject[] = [{}];
  for (const d of ruleDimensions(r)) {
    const values = r[d.rule]!;
    if (values.includes('*')) return [];
    out = out.flatMap((s) => values.map((v) => ({ ...s, [d.key]: v })));
  }
  return out;
}

/** The descriptors to ask for: one per rule and distinct subject it applies to. */
export function descriptorsFor(limits: RateLimits, seen: Iterable<Subject>): Asked[] {
  const out = new Map<string, Asked>();
  const seenList = [...seen];
  limits.rules.forEach((r, i) => {
    const dims = ruleDimensions(r);
    const { counts, scale } = countsOf(r);
    for (const s of [...named(r), ...seenList]) {
      const entries = [{ key: 'rule', value: ruleId(i) }];
      let applies = true;
      for (const d of dims) {
        const v = s[d.key];
        const values = r[d.rule]!;
        if (v === undefined || !(values.includes(v) || values.includes('*'))) applies = false;
        else entries.push({ key: d.key, value: v });
      }
      const id = entries.map((e) => `${e.key}=${e.value}`).join('\u0000');
      if (!applies || out.has(id) || out.size >= MAX_DESCRIPTORS) continue;
      const value = (k: keyof Subject) => (dims.some((d) => d.key === k) ? s[k]! : '');
      out.set(id, { labels: { rule: ruleId(i), client: value('client'), backend: value('backend'), model: value('model'), counts }, entries, scale });
    }
  });
  return [...out.values()];
}

interface DescriptorStatus {
  code?: string;
  current_limit?: { requests_per_unit?: number };
  limit_remaining?: number;
}

type Client = grpc.Client & {
  ShouldRateLimit(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { statuses?: DescriptorStatus[] }) => void): void;
};
let ClientCtor: grpc.ServiceClientConstructor | undefined;
function clientCtor(): grpc.ServiceClientConstructor {
  if (ClientCtor) return ClientCtor;
  const def = protoLoader.loadSync('envoy/service/ratelimit/v3/rls.proto', { includeDirs: [PROTO_DIR], keepCase: true, longs: Number, enums: String, defaults: false });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { envoy: { service: { ratelimit: { v3: { RateLimitService: grpc.ServiceClientConstructor } } } } };
  ClientCtor = pkg.envoy.service.ratelimit.v3.RateLimitService;
  return ClientCtor;
}

/** The limits being reported: which ones, where their counters are, and who was served. */
class LimitsView {
  private limits?: RateLimits;
  private client?: Client;
  private address?: string;
  private readonly seen = new Map<string, Subject>();

  configure(limits: RateLimits | undefined): void {
    this.limits = limits?.rules.length ? limits : undefined;
    const at = this.limits && serviceAddress(this.limits);
    const address = at && `${at.host}:${at.port}`;
    if (address === this.address) return;
    this.client?.close();
    this.client = address ? (new (clientCtor())(address, grpc.credentials.createInsecure()) as unknown as Client) : undefined;
    this.address = address;
  }

  /** A finished request's subject (bounded: past the cap, new combinations are not reported). */
  note(s: Subject): void {
    if (!this.limits) return;
    const id = `${s.client ?? ''}\u0000${s.backend ?? ''}\u0000${s.model ?? ''}`;
    if (!this.seen.has(id) && this.seen.size < MAX_SUBJECTS) this.seen.set(id, { ...s });
  }

  async read(): Promise<{ labels: Labels; remaining: number }[]> {
    const { limits, client } = this;
    if (!limits || !client) return [];
    const asked = descriptorsFor(limits, this.seen.values());
    if (!asked.length) return [];
    const statuses = await new Promise<DescriptorStatus[]>((resolve, reject) =>
      client.ShouldRateLimit(
        { domain: RATELIMIT_DOMAIN, descriptors: asked.map((a) => ({ entries: a.entries, hits_addend: { value: 0 } })) },
        { deadline: Date.now() + TIMEOUT_MS },
        (err, res) => (err ? reject(err) : resolve(res?.statuses ?? [])),
      ),
    );
    return asked.flatMap((a, i) => {
      const s = statuses[i];
      // No current limit: the service has no such descriptor (yet): nothing to report.
      return s?.current_limit ? [{ labels: a.labels, remaining: (s.limit_remaining ?? 0) * a.scale }] : [];
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
    this.address = undefined;
  }
}

export const limitsView = new LimitsView();

new Gauge({
  name: 'llm_extproc_limit_remaining',
  help: 'What is left of each rate limit and budget in its current window (requests, tokens or USD, as `counts` says), as the shared ratelimit service counts it.',
  labelNames: ['rule', 'client', 'backend', 'model', 'counts'] as const,
  registers: [registry],
  // Under serve --workers each worker reads the same shared counter: the figure once, never a
  // sum. The lowest of the readings (taken within milliseconds) is the latest within a window.
  aggregator: 'min',
  async collect() {
    this.reset();
    try {
      for (const { labels, remaining } of await limitsView.read()) this.set(labels, remaining);
    } catch (err) {
      // The service is down or slow: the scrape goes on without these figures.
      logger.debug({ err }, 'reading the remaining limits from the ratelimit service failed');
    }
  },
});
