// Envoy's own error replies (an upstream that refuses connections, a timeout, no healthy
// host) are plain text by default. These mappers give them the client's JSON error shape:
// the processor records the client's dialect in dynamic metadata (`client_dialect`) when
// the request arrives, and each mapper matches it. Replies the processor makes itself
// carry no response flags and pass untouched.
import { ERROR_CODE_HEADER, METADATA_NAMESPACE } from './metadata-keys.js';

type Obj = Record<string, unknown>;

/** Response flags of failures on the way to a provider. */
const UPSTREAM_FAILURE_FLAGS = ['UF', 'UH', 'UO', 'UC', 'UR', 'URX', 'UT', 'NR', 'UMSDR', 'OM'];

const MESSAGE = 'the provider could not be reached: %LOCAL_REPLY_BODY%';
const CODE = 'upstream_unavailable';

const SHAPES: Record<string, Obj> = {
  anthropic: { type: 'error', error: { type: 'api_error', message: `${CODE}: ${MESSAGE}` } },
  gemini: { error: { code: '%RESPONSE_CODE%', message: `${CODE}: ${MESSAGE}`, status: 'UNAVAILABLE' } },
  openai: { error: { message: MESSAGE, type: 'api_error', param: null, code: CODE } },
};

function dialectIs(dialect: string): Obj {
  return {
    metadata_filter: {
      matcher: { filter: METADATA_NAMESPACE, path: [{ key: 'client_dialect' }], value: { string_match: { exact: dialect } } },
      match_if_key_not_found: false,
    },
  };
}

function mapper(json: Obj, dialect?: string): Obj {
  const flags = { response_flag_filter: { flags: UPSTREAM_FAILURE_FLAGS } };
  return {
    filter: dialect ? { and_filter: { filters: [flags, dialectIs(dialect)] } } : flags,
    body_format_override: { json_format: json, content_type: 'application/json' },
    // As on the processor's own errors; its accounting reads it as the error type.
    headers_to_add: [{ header: { key: ERROR_CODE_HEADER, value: CODE }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
  };
}

export function localReplyConfig(): Obj {
  // Most specific first: the first matching mapper wins; OpenAI's shape is the default.
  return { mappers: [mapper(SHAPES.anthropic!, 'anthropic'), mapper(SHAPES.gemini!, 'gemini'), mapper(SHAPES.openai!)] };
}
