// A backend's timeouts and retries as Envoy's own machinery: the cluster's connect timeout,
// the route's whole-request and idle timeouts, and a retry policy whose per-try timeout ends
// at the provider's response headers (a stream's first byte; it does not cut a long stream).
// Retries replay the request as the processor translated and signed it for that backend;
// `retry-after` and `x-ratelimit-reset` set the wait after a 429.
import type { CompiledPool } from '../config/compile.js';
import { type OutlierDetection, Retry, type Timeouts } from '../config/schema.js';
import type { z } from 'zod';

type Obj = Record<string, unknown>;

/** Defaults for LLM traffic: long generations run on, a silent provider does not hold a client. */
export const DEFAULT_TIMEOUTS = { connect: '10s', firstByte: '120s', streamIdle: '60s', request: '600s' } as const;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function durationMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Envoy's Duration in YAML/JSON: seconds with a fraction. */
export function envoyDuration(d: string): string {
  return `${durationMs(d) / 1000}s`;
}

/** What a backend or a pool says about its traffic. */
export interface TrafficConfig {
  timeouts?: z.infer<typeof Timeouts>;
  retry?: z.infer<typeof Retry>;
  outlierDetection?: OutlierDetection;
}

export function connectTimeout(b: TrafficConfig): string {
  return envoyDuration(b.timeouts?.connect ?? DEFAULT_TIMEOUTS.connect);
}

/** The cluster's outlier detection, when asked for (with outlierErrors, which says what counts as a failure). */
export function outlierDetection(b: TrafficConfig): Obj | undefined {
  const o = b.outlierDetection;
  if (!o) return undefined;
  return {
    consecutive_5xx: o.consecutiveErrors,
    interval: envoyDuration(o.interval),
    base_ejection_time: envoyDuration(o.baseEjectionTime),
    max_ejection_percent: o.maxEjectionPercent,
    // Only the consecutive count decides: success-rate ejection needs volume a gateway may not have.
    enforcing_success_rate: 0,
  };
}

/**
 * What outlier detection counts as a failure (HttpProtocolOptions.outlier_detection): 5xx, and
 * a provider's 429s, so that a storm of rate limits ejects it like an outage.
 */
export function outlierErrors(b: TrafficConfig): Obj | undefined {
  if (!b.outlierDetection) return undefined;
  const status = (m: Obj) => ({ http_response_headers_match: { headers: [{ name: ':status', ...m }] } });
  return { error_matcher: { or_match: { rules: [status({ range_match: { start: 500, end: 600 } }), status({ exact_match: '429' })] } } };
}

/**
 * A pool's route: every member gets one attempt by default, each retry goes to a member not
 * tried yet, and past the last member of one priority to the next priority (fallback).
 */
export function poolTraffic(pool: CompiledPool): Obj {
  const retry = pool.config.retry ?? Retry.parse({ attempts: Math.min(10, pool.members.length) });
  const route = routeTraffic({ ...pool.config, retry });
  const policy = route.retry_policy as Obj;
  if (pool.members.length > 1) {
    policy.retry_host_predicate = [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }];
    policy.host_selection_retry_max_attempts = 5;
  }
  if (new Set(pool.members.map((m) => m.priority)).size > 1) {
    policy.retry_priority = {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 1 },
    };
  }
  return route;
}

/** The route action's timeouts and retry policy for one backend (or pool). */
export function routeTraffic(b: TrafficConfig): Obj {
  const t = { ...DEFAULT_TIMEOUTS, ...b.timeouts };
  const retry = b.retry;
  const codes = (retry?.on ?? []).filter((x): x is number => typeof x === 'number');
  const conditions: string[] = (retry?.on ?? []).filter((x) => typeof x === 'string');
  if (codes.length) conditions.push('retriable-status-codes');
  const policy: Obj = {
    // With no retries this still bounds each attempt: per_try_timeout stops at response headers.
    num_retries: retry ? retry.attempts - 1 : 0,
    per_try_timeout: envoyDuration(t.firstByte),
    ...(conditions.length ? { retry_on: conditions.join(',') } : {}),
    ...(codes.length ? { retriable_status_codes: codes } : {}),
    ...(retry?.backoff ? { retry_back_off: { base_interval: envoyDuration(retry.backoff.base), ...(retry.backoff.max ? { max_interval: envoyDuration(retry.backoff.max) } : {}) } } : {}),
    ...(codes.includes(429)
      ? {
          rate_limited_retry_back_off: {
            reset_headers: [
              { name: 'retry-after', format: 'SECONDS' },
              { name: 'x-ratelimit-reset', format: 'UNIX_TIMESTAMP' },
            ],
            max_interval: '60s',
          },
        }
      : {}),
  };
  // The route `timeout` stops counting once response headers arrive; max_stream_duration bounds
  // the whole exchange, a streamed answer included.
  return { timeout: '0s', max_stream_duration: { max_stream_duration: envoyDuration(t.request) }, idle_timeout: envoyDuration(t.streamIdle), retry_policy: policy };
}
