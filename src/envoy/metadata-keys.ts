// The Envoy dynamic-metadata contract: the namespace the processor writes into and the
// keys it writes as each becomes known. The generated access log, the telemetry
// writer and the docs all read this list, so a key exists in one place only.

/** Namespace of the processor's dynamic metadata (and of its route metadata in Envoy). */
export const METADATA_NAMESPACE = 'llm_extproc';

/** Every key the processor writes under `llm_extproc`, in the order the access log shows them. */
export const METADATA_KEYS = [
  'backend',
  'provider',
  'client_dialect',
  'client_path',
  'route_type',
  'request_model',
  'response_model',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cached_input_tokens',
  'cache_write_input_tokens',
  'reasoning_tokens',
  'tokens_estimated',
  'ttft_ms',
  'stream_end',
  'attempts',
  'answered_by',
  'client',
  'cost_usd',
] as const;

export type MetadataKey = (typeof METADATA_KEYS)[number];

/**
 * Not for logs: a pool request as the client sent it (selection and headers), written by the
 * router-level filter for the upstream filter, which Envoy gives this namespace on every
 * attempt. Each attempt starts from it, because Envoy hands a retry the headers as the
 * previous attempt's filter left them.
 */
export const POOL_REQUEST_KEY = 'pool_request';

/** Not for logs: cost_usd in whole millionths of a dollar, rounded up, what budget counters are charged. */
export const COST_MICROUSD_KEY = 'cost_microusd';
export type LedgerKey = MetadataKey | typeof POOL_REQUEST_KEY | typeof COST_MICROUSD_KEY;

/** Envoy's command operator for one key, e.g. `%DYNAMIC_METADATA(llm_extproc:total_tokens)%`. */
export function metadataOperator(key: MetadataKey): string {
  return `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${key})%`;
}

/** Response header the generated routes add (include_attempt_count_in_response): attempts Envoy made. */
export const ATTEMPT_COUNT_HEADER = 'x-envoy-attempt-count';

/** Response header on every error the gateway makes, the processor's and Envoy's own (local_reply_config). */
export const ERROR_CODE_HEADER = 'x-llm-error-code';

/** gRPC initial metadata the generated upstream filter (in a pool's cluster) sends on each stream, so the processor knows it. */
export const UPSTREAM_FILTER_METADATA = { key: 'x-llm-filter', value: 'upstream' } as const;

/** gRPC initial metadata of the upstream filter naming the pool whose cluster it runs in. */
export const POOL_METADATA_KEY = 'x-llm-pool';

/** The attribute the upstream filter asks for: the member name in the picked endpoint's metadata. */
export const MEMBER_ATTRIBUTE = `xds.upstream_host_metadata.filter_metadata['${METADATA_NAMESPACE}']['backend']`;
