// Envoy's own replies (the processor unreachable, an upstream that refuses connections or
// times out, headers or a body over Envoy's limits) are plain text, or empty, by default.
// These mappers give them the client's JSON error shape, exactly as the processor renders its
// own errors, with a status and a code that say what happened. The client's dialect comes
// from the `client_dialect` metadata the processor writes when the request arrives, or, when
// the processor never saw the request, from the path and headers (the dialects' CEL). Replies
// the processor makes itself carry `llm_extproc_*` details and match none of these filters.
import { DEFAULT_DIALECT, errorBody, requestDialectCel } from '../dialects/index.js';
import { DIALECTS, type DialectName } from '../dialects/types.js';
import { ERROR_CODE_HEADER, METADATA_NAMESPACE } from './metadata-keys.js';
import { BUDGET_MARKER_STATUS } from './ratelimit.js';

type Obj = Record<string, unknown>;

/** Response flags of failures on the way to a provider (UT, a timeout, has its own mapper). */
const UPSTREAM_FAILURE_FLAGS = ['UF', 'UH', 'UO', 'UC', 'UR', 'URX', 'NR', 'UMSDR', 'OM'];

interface Failure {
  code: string;
  /** The status the client gets (the processor unreachable is a 503, not Envoy's 500). */
  status: number;
  message: string;
  filter: Obj;
  /** More response headers, as Envoy formats them. */
  headers?: Record<string, string>;
}

const cel = (expression: string): Obj => ({
  extension_filter: {
    name: 'envoy.access_loggers.extension_filters.cel',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression },
  },
});

/** The reply's status is this code (Envoy's filter wants a runtime key; none is ever set). */
const statusIs = (code: number): Obj => ({ status_code_filter: { comparison: { op: 'EQ', value: { default_value: code, runtime_key: 'llm_extproc.local_reply.unused' } } } });

const FAILURES: Failure[] = [
  {
    code: 'processor_unavailable',
    status: 503,
    message: 'the gateway could not process the request (its processor is unavailable); nothing was sent to a provider',
    filter: cel("response.code_details.startsWith('ext_proc_error')"),
  },
  {
    code: 'upstream_timeout',
    status: 504,
    message: 'the provider did not answer in time: %LOCAL_REPLY_BODY%',
    filter: { response_flag_filter: { flags: ['UT'] } },
  },
  {
    code: 'upstream_unavailable',
    status: 503,
    message: 'the provider could not be reached: %LOCAL_REPLY_BODY%',
    filter: { response_flag_filter: { flags: UPSTREAM_FAILURE_FLAGS } },
  },
  {
    // The budget filter answers with a marker status (rateLimits' budget rules); the client gets a 429.
    code: 'budget_exceeded',
    status: 429,
    message: 'over a spending budget of this gateway; retry after the time in retry-after',
    filter: { and_filter: { filters: [{ response_flag_filter: { flags: ['RL'] } }, statusIs(BUDGET_MARKER_STATUS)] } },
    headers: { 'retry-after': '%RESP(X-RATELIMIT-RESET)%' },
  },
  {
    code: 'rate_limited',
    status: 429,
    message: 'over a rate limit of this gateway; retry after the time in retry-after',
    filter: { response_flag_filter: { flags: ['RL'] } },
    // The rate limit filter's own header says when the window resets, in seconds.
    headers: { 'retry-after': '%RESP(X-RATELIMIT-RESET)%' },
  },
  {
    code: 'rate_limit_unavailable',
    status: 503,
    message: 'the gateway could not check its rate limits (the rate limit service is unavailable), and refuses requests until it can',
    filter: { response_flag_filter: { flags: ['RLSE'] } },
  },
  {
    code: 'request_too_large',
    status: 413,
    message: 'the request body is over the gateway limit',
    filter: cel("response.code == 413 && response.code_details == 'request_payload_too_large'"),
  },
  {
    code: 'request_headers_too_large',
    status: 431,
    message: 'the request headers are over the gateway limit',
    filter: statusIs(431),
  },
];

const META = `metadata.filter_metadata['${METADATA_NAMESPACE}']`;
const KNOWN = `('${METADATA_NAMESPACE}' in metadata.filter_metadata && 'client_dialect' in ${META})`;

/** The metadata's dialect when the processor wrote one, else what the path and headers say. */
function dialectIs(d: DialectName, fromRequest: string): Obj {
  return cel(`${KNOWN} ? ${META}['client_dialect'] == '${d}' : ${fromRequest}`);
}

function mapper(f: Failure, d: DialectName): Obj {
  const fromRequest = requestDialectCel(d);
  return {
    filter: fromRequest === undefined ? f.filter : { and_filter: { filters: [f.filter, dialectIs(d, fromRequest)] } },
    status_code: f.status,
    body_format_override: { json_format: errorBody(d, { status: f.status, code: f.code, message: f.message }), content_type: 'application/json' },
    // As on the processor's own errors; it reads it as the error type and passes the body untranslated.
    headers_to_add: [ERROR_CODE_HEADER, ...Object.keys(f.headers ?? {})].map((key) => ({
      header: { key, value: key === ERROR_CODE_HEADER ? f.code : f.headers![key]! },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    })),
  };
}

export function localReplyConfig(): Obj {
  // First match wins: per failure, the other dialects first, then the default dialect's shape.
  const order = [...DIALECTS.filter((d) => d !== DEFAULT_DIALECT), DEFAULT_DIALECT];
  const mappers: Obj[] = [];
  for (const f of FAILURES) for (const d of order) mappers.push(mapper(f, d));
  return { mappers };
}
