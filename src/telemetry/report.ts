// What happens when a request is done: one usage log line (the record that survives when
// Envoy no longer takes metadata), the metrics, and the end of its span. No message
// content and no secrets: only names, counts, status and timings.
import { usageLogger } from '../logger.js';
import { costTotal, fallbacksTotal, labelCaps, requestSeries, retriesTotal } from './metrics.js';
import type { RequestRecord } from './record.js';

const NONE = '';

function capped(label: string, v: string | undefined): string {
  return v === undefined || v === '' ? NONE : labelCaps.value(label, v);
}

export function recordMetrics(r: RequestRecord): void {
  const backend = capped('backend', r.backend);
  const series = requestSeries({
    backend,
    client: r.client ?? NONE,
    route_type: r.routeType,
    status: String(r.status),
    stream_end: r.operation ? r.streamEnd : undefined,
    genai: r.operation
      ? {
          gen_ai_operation_name: r.operation,
          gen_ai_provider_name: r.providerTelemetryName ?? NONE,
          gen_ai_request_model: capped('gen_ai_request_model', r.requestModel),
          gen_ai_response_model: capped('gen_ai_response_model', r.responseModel),
          backend,
          error_type: capped('error_type', r.errorType),
        }
      : undefined,
  });
  series.requests.inc();
  series.streamEnd?.inc();
  if (r.attempts !== undefined && r.attempts > 1) retriesTotal.inc({ backend }, r.attempts - 1);
  if (r.costUsd) costTotal.inc({ backend, client: r.client ?? NONE }, r.costUsd);
  if (r.fallback) fallbacksTotal.inc({ pool: backend, backend: capped('backend', r.answeredBy) });
  const g = series.genai;
  if (!g) return;
  g.duration.observe(r.durationMs / 1000);
  const u = r.usage;
  if (u?.inputTokens !== undefined) g.inputTokens.observe(u.inputTokens);
  if (u?.outputTokens !== undefined) g.outputTokens.observe(u.outputTokens);
  if (u?.cachedInputTokens) g.cached.inc(u.cachedInputTokens);
  if (u?.cacheWriteInputTokens) g.cacheWrite.inc(u.cacheWriteInputTokens);
  if (u?.reasoningTokens) g.reasoning.inc(u.reasoningTokens);
  if (u?.estimated) g.estimated.inc();
  // Time to first token and per output token describe successful streamed answers only.
  if (r.stream && r.ttftMs !== undefined && !r.errorType) {
    g.ttft.observe(r.ttftMs / 1000);
    const out = u?.outputTokens ?? 0;
    if (out > 1) g.tpot.observe((r.durationMs - r.ttftMs) / 1000 / (out - 1));
  }
}

export function logUsage(r: RequestRecord): void {
  const u = r.usage;
  usageLogger.info(
    {
      requestId: r.requestId,
      client: r.client,
      path: r.clientPath,
      backend: r.backend,
      provider: r.provider,
      routeType: r.routeType,
      clientDialect: r.clientDialect,
      operation: r.operation,
      requestModel: r.requestModel,
      responseModel: r.responseModel,
      stream: r.stream,
      inputTokens: u?.inputTokens,
      outputTokens: u?.outputTokens,
      totalTokens: u?.totalTokens,
      cachedInputTokens: u?.cachedInputTokens,
      cacheWriteInputTokens: u?.cacheWriteInputTokens,
      reasoningTokens: u?.reasoningTokens,
      tokensEstimated: u ? u.estimated === true : undefined,
      costUsd: r.costUsd,
      status: r.status,
      errorType: r.errorType,
      streamEnd: r.streamEnd,
      attempts: r.attempts,
      answeredBy: r.answeredBy,
      durationMs: Math.round(r.durationMs),
      ttftMs: r.ttftMs === undefined ? undefined : Math.round(r.ttftMs),
    },
    'usage',
  );
}

