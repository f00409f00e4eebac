// One finished request as telemetry sees it: the usage log line, the metrics and the span
// are all made from this record, so the three always agree.
import type { DialectName } from '../dialects/types.js';
import type { Usage } from '../usage/types.js';

/** How a response ended: whole, the client gone first, or the upstream's body ending (or breaking) before its last event. */
export type StreamEnd = 'complete' | 'client_cancelled' | 'upstream_cut';

export interface RequestRecord {
  requestId?: string;
  /** The gateway-key principal, when clients are configured. */
  client?: string;
  /** The client's path, without the query string (it may carry keys). */
  clientPath?: string;
  backend?: string;
  /** The backend's provider as configured (openai, bedrock…). */
  provider?: string;
  /** gen_ai.provider.name (openai, aws.bedrock…). */
  providerTelemetryName?: string;
  clientDialect: DialectName;
  routeType: string;
  /** gen_ai.operation.name (chat, text_completion, embeddings…); undefined on passthrough routes. */
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  stream: boolean;
  /** Final counts; undefined when there is nothing to count (passthrough, errors before any answer). */
  usage?: Usage;
  /** HTTP status the client got; 0 when it got none. */
  status: number;
  /** Unset on success; a gateway error code, the upstream's status, `client_cancelled` or `upstream_cut`. */
  errorType?: string;
  streamEnd?: StreamEnd;
  finishReasons: readonly string[];
  /** USD, when `pricing` names the model. */
  costUsd?: number;
  /** Attempts Envoy made (retries included); undefined when Envoy did not say. */
  attempts?: number;
  /** The backend that answered, when a pool was selected or retries were made. */
  answeredBy?: string;
  /** Set when the selected name was a pool: whether a member other than its primary answered. */
  fallback?: boolean;
  durationMs: number;
  /** Time to the first body byte of a successful answer; only when there was one. */
  ttftMs?: number;
}
