// Prometheus metrics on the admin port: the OpenTelemetry GenAI set (token usage, request
// duration, time to first token, time per output token) and the processor's own counters.
// Label values that come from clients (model names) are capped per label: past the cap a
// new value is counted as `other`, so a client cannot grow the registry without bound.
// Each request looks its label set up once, when it finishes (RequestSeries).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { type CounterChild, CounterFamily, HistogramFamily, type HistogramChild } from './families.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

// Bucket boundaries of the OpenTelemetry GenAI semantic conventions.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

const GENAI_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model', 'backend', 'error_type'] as const;
type GenAiLabel = (typeof GENAI_LABELS)[number];
export type GenAiLabels = Record<GenAiLabel, string>;

export const tokenUsage = new HistogramFamily(
  'gen_ai_client_token_usage',
  'Tokens per request, by type (input | output), as the provider reported them or, when it did not, as the gateway estimated them.',
  registry,
  TOKEN_BUCKETS,
);
export const requestDuration = new HistogramFamily(
  'gen_ai_server_request_duration_seconds',
  'Time from the request reaching the gateway to the last byte of its response.',
  registry,
  DURATION_BUCKETS,
);
export const timeToFirstToken = new HistogramFamily(
  'gen_ai_server_time_to_first_token_seconds',
  'Time from the request reaching the gateway to the first body byte of a successful streamed answer.',
  registry,
  TTFT_BUCKETS,
);
export const timePerOutputToken = new HistogramFamily(
  'gen_ai_server_time_per_output_token_seconds',
  'Time per output token after the first, for successful streamed answers.',
  registry,
  TPOT_BUCKETS,
);
export const cachedInputTokens = new CounterFamily('llm_extproc_cached_input_tokens_total', 'Input tokens served from the provider prompt cache.', registry);
export const cacheWriteInputTokens = new CounterFamily('llm_extproc_cache_write_input_tokens_total', 'Input tokens written to the provider prompt cache.', registry);
export const reasoningTokens = new CounterFamily('llm_extproc_reasoning_tokens_total', 'Output tokens the model spent reasoning.', registry);
export const estimatedRequests = new CounterFamily(
  'llm_extproc_estimated_usage_total',
  'Requests whose token counts were estimated with a tokenizer (the provider reported none, or the stream ended early).',
  registry,
);
export const streamEnds = new CounterFamily(
  'llm_extproc_stream_end_total',
  'Finished completions requests by how their response ended (complete, client_cancelled, upstream_cut), by backend.',
  registry,
);
export const requestsTotal = new CounterFamily('llm_extproc_requests_total', 'Requests handled by the processor, by backend, client (gateway-key principal), route type and HTTP status.', registry);

export const streamsActive = new Gauge({
  name: 'llm_extproc_streams_active',
  help: 'ext_proc gRPC streams currently open.',
  registers: [registry],
});

export const messagesTotal = new CounterFamily('llm_extproc_processing_messages_total', 'ext_proc messages received from Envoy, by phase.', registry);

/** The stream loop counts every message: one map lookup by phase name, no label hashing. */
export function countMessage(phase: string): void {
  messagesTotal.child(phase, { phase }).inc();
}

export const gatewayErrorsTotal = new Counter({
  name: 'llm_extproc_gateway_errors_total',
  help: 'Errors the gateway answered itself, by code.',
  labelNames: ['code'] as const,
  registers: [registry],
});

// Traffic control. Label values are backend and pool names from the config: bounded.
export const upstreamAttempts = new Counter({
  name: 'llm_extproc_upstream_attempts_total',
  help: 'Attempts Envoy sent to pool members (each translated by the upstream filter), by pool, member backend and the status it answered.',
  labelNames: ['pool', 'backend', 'status'] as const,
  registers: [registry],
});
export const retriesTotal = new Counter({
  name: 'llm_extproc_retries_total',
  help: 'Attempts after the first that Envoy made for answered requests, by the backend or pool selected.',
  labelNames: ['backend'] as const,
  registers: [registry],
});
export const fallbacksTotal = new Counter({
  name: 'llm_extproc_fallbacks_total',
  help: 'Pool requests answered by a member other than the primary (the first of the lowest priority), by pool and the member that answered.',
  labelNames: ['pool', 'backend'] as const,
  registers: [registry],
});

export const costTotal = new Counter({
  name: 'llm_extproc_cost_usd_total',
  help: 'Spend in USD from the config\'s pricing, by backend (or pool) and client.',
  labelNames: ['backend', 'client'] as const,
  registers: [registry],
});

export const droppedLabelValues = new Counter({
  name: 'llm_extproc_metric_label_values_dropped_total',
  help: 'Label values counted as "other" because their label already had the configured number of distinct values.',
  labelNames: ['label'] as const,
  registers: [registry],
});

const OTHER = 'other';
const DEFAULT_LABEL_LIMIT = 100;

/**
 * Caps the distinct values of labels whose values come from clients or providers
 * (models; backends and error codes are bounded by config and code, but capped alike).
 */
export class LabelCaps {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private limit = DEFAULT_LABEL_LIMIT) {}

  setLimit(limit: number): void {
    this.limit = limit;
  }

  value(label: string, v: string): string {
    let set = this.seen.get(label);
    if (!set) {
      set = new Set();
      this.seen.set(label, set);
    }
    if (set.has(v)) return v;
    if (set.size >= this.limit) {
      droppedLabelValues.inc({ label });
      return OTHER;
    }
    set.add(v);
    return v;
  }
}

export const labelCaps = new LabelCaps();

export interface SeriesLabels {
  backend: string;
  /** The gateway-key principal ('' without client authentication); bounded by the config. */
  client: string;
  route_type: string;
  status: string;
  /** Completions requests only. */
  stream_end?: string;
  /** Requests with a GenAI operation (completions routes); values already capped. */
  genai?: GenAiLabels;
}

/** Every metric child one finished request touches. */
export interface RequestSeries {
  requests: CounterChild;
  streamEnd?: CounterChild;
  genai?: {
    inputTokens: HistogramChild;
    outputTokens: HistogramChild;
    duration: HistogramChild;
    ttft: HistogramChild;
    tpot: HistogramChild;
    cached: CounterChild;
    cacheWrite: CounterChild;
    reasoning: CounterChild;
    estimated: CounterChild;
  };
}

const SERIES_CACHE_LIMIT = 10_000;
const seriesCache = new Map<string, RequestSeries>();
const SEP = '\u0000';

/** One lookup per request: its label values -> the children of every metric it updates. */
export function requestSeries(l: SeriesLabels): RequestSeries {
  const g = l.genai;
  const genaiKey = g ? [g.gen_ai_operation_name, g.gen_ai_provider_name, g.gen_ai_request_model, g.gen_ai_response_model, g.backend, g.error_type].join(SEP) : '';
  const key = [l.backend, l.client, l.route_type, l.status, l.stream_end ?? '', genaiKey].join(SEP);
  const hit = seriesCache.get(key);
  if (hit) return hit;
  const series: RequestSeries = {
    requests: requestsTotal.child([l.backend, l.client, l.route_type, l.status].join(SEP), { backend: l.backend, client: l.client, route_type: l.route_type, status: l.status }),
  };
  if (l.stream_end !== undefined) series.streamEnd = streamEnds.child(l.backend + SEP + l.stream_end, { backend: l.backend, stream_end: l.stream_end });
  if (g) {
    series.genai = {
      // Tokens are what a principal spends: they carry its name.
      inputTokens: tokenUsage.child([genaiKey, l.client, 'input'].join(SEP), { ...g, client: l.client, gen_ai_token_type: 'input' }),
      outputTokens: tokenUsage.child([genaiKey, l.client, 'output'].join(SEP), { ...g, client: l.client, gen_ai_token_type: 'output' }),
      duration: requestDuration.child(genaiKey, g),
      ttft: timeToFirstToken.child(genaiKey, g),
      tpot: timePerOutputToken.child(genaiKey, g),
      cached: cachedInputTokens.child(genaiKey, g),
      cacheWrite: cacheWriteInputTokens.child(genaiKey, g),
      reasoning: reasoningTokens.child(genaiKey, g),
      estimated: estimatedRequests.child(genaiKey, g),
    };
  }
  // Bounded by the label caps already; this only stops a pathological product of them.
  if (seriesCache.size >= SERIES_CACHE_LIMIT) seriesCache.clear();
  seriesCache.set(key, series);
  return series;
}
