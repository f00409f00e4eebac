// Envoy's own replies (the processor unreachable, an upstream that refuses connections or
// times out, headers or a body over Envoy's limits) are plain text, or empty, by default.
// These mappers give them the client's JSON error shape, a status and a code that say what
// happened. The client's dialect comes from the `client_dialect` metadata the processor
// writes when the request arrives, or, when the processor never saw the request, from the
// path and headers (CEL). Replies the processor makes itself carry `llm_extproc_*` details
// and match none of these filters: they pass untouched.
import { ERROR_CODE_HEADER, METADATA_NAMESPACE } from './metadata-keys.js';

type Obj = Record<string, unknown>;

/** Response flags of failures on the way to a provider (UT, a timeout, has its own mapper). */
const UPSTREAM_FAILURE_FLAGS = ['UF', 'UH', 'UO', 'UC', 'UR', 'URX', 'NR', 'UMSDR', 'OM'];

type Dialect = 'openai' | 'anthropic' | 'gemini';

interface Failure {
  code: string;
  /** Overrides Envoy's status (the processor unreachable is a 503, not Envoy's 500). */
  status?: number;
  message: string;
  filter: Obj;
}

const cel = (expression: string): Obj => ({
  extension_filter: {
    name: 'envoy.access_loggers.extension_filters.cel',
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression },
  },
});

const FAILURES: Failure[] = [
  {
    code: 'processor_unavailable',
    status: 503,
    message: 'the gateway could not process the request (its processor is unavailable); nothing was sent to a provider',
    filter: cel("response.code_details.startsWith('ext_proc_error')"),
  },
  {
    code: 'upstream_timeout',
    message: 'the provider did not answer in time: %LOCAL_REPLY_BODY%',
    filter: { response_flag_filter: { flags: ['UT'] } },
  },
  {
    code: 'upstream_unavailable',
    message: 'the provider could not be reached: %LOCAL_REPLY_BODY%',
    filter: { response_flag_filter: { flags: UPSTREAM_FAILURE_FLAGS } },
  },
  {
    code: 'request_too_large',
    message: 'the request body is over the gateway limit',
    filter: cel("response.code == 413 && response.code_details == 'request_payload_too_large'"),
  },
  {
    code: 'request_headers_too_large',
    message: 'the request headers are over the gateway limit',
    filter: { status_code_filter: { comparison: { op: 'EQ', value: { default_value: 431, runtime_key: 'llm_extproc.local_reply.unused' } } } },
  },
];

const META = `metadata.filter_metadata['${METADATA_NAMESPACE}']`;
const KNOWN = `('${METADATA_NAMESPACE}' in metadata.filter_metadata && 'client_dialect' in ${META})`;
/** When the processor never saw the request: Anthropic's and Gemini's paths and headers. */
const GUESS: Record<Exclude<Dialect, 'openai'>, string> = {
  anthropic: "(request.url_path.endsWith('/messages') || request.url_path.endsWith('/messages/count_tokens') || 'anthropic-version' in request.headers)",
  gemini: "(request.url_path.matches(':(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$') || 'x-goog-api-key' in request.headers)",
};

function dialectIs(d: Exclude<Dialect, 'openai'>): Obj {
  return cel(`${KNOWN} ? ${META}['client_dialect'] == '${d}' : ${GUESS[d]}`);
}

function shape(d: Dialect, f: Failure): Obj {
  const status = f.status ?? '%RESPONSE_CODE%';
  switch (d) {
    case 'anthropic':
      return { type: 'error', error: { type: f.code === 'upstream_timeout' ? 'timeout_error' : f.code.startsWith('request_') ? 'request_too_large' : 'api_error', message: `${f.code}: ${f.message}` } };
    case 'gemini':
      return { error: { code: status, message: `${f.code}: ${f.message}`, status: f.code.startsWith('request_') ? 'INVALID_ARGUMENT' : f.code === 'upstream_timeout' ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE' } };
    case 'openai':
      return { error: { message: f.message, type: f.code.startsWith('request_') ? 'invalid_request_error' : 'api_error', param: null, code: f.code } };
  }
}

function mapper(f: Failure, d: Dialect): Obj {
  return {
    filter: d === 'openai' ? f.filter : { and_filter: { filters: [f.filter, dialectIs(d)] } },
    ...(f.status ? { status_code: f.status } : {}),
    body_format_override: { json_format: shape(d, f), content_type: 'application/json' },
    // As on the processor's own errors; it reads it as the error type and passes the body untranslated.
    headers_to_add: [{ header: { key: ERROR_CODE_HEADER, value: f.code }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
  };
}

export function localReplyConfig(): Obj {
  // First match wins: per failure, Anthropic, then Gemini, then OpenAI's shape as the default.
  const mappers: Obj[] = [];
  for (const f of FAILURES) for (const d of ['anthropic', 'gemini', 'openai'] as const) mappers.push(mapper(f, d));
  return { mappers };
}
