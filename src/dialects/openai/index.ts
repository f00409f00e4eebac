// OpenAI's client-facing API: which paths speak it and how its errors look.
import type { Dialect, DialectRequest, ErrorShape } from '../types.js';
import { validateOpenAI } from './validate.js';

const OPERATIONS: [suffix: string, op: DialectRequest['operation']][] = [
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
  ['/models', 'models'],
];

/**
 * The Responses API's paths, matched on their tail (`/v1/responses…`, Azure's `/openai/v1/responses…`):
 * create, compact and input_tokens by name; anything else under /responses is one stored response
 * (retrieve, delete, cancel, input_items), whose id is any one path segment.
 */
const RESPONSES = /\/responses(?:\/(compact|input_tokens)|\/[^/]+(?:\/(?:cancel|input_items))?)?$/;

/** The `/responses…` tail of a Responses API path (what a provider puts under its own base), or undefined. */
export function responsesTail(path: string): string | undefined {
  const m = RESPONSES.exec(path);
  return m ? path.slice(m.index) : undefined;
}

function matchResponses(path: string): DialectRequest | undefined {
  const m = RESPONSES.exec(path);
  if (!m) return undefined;
  const tail = path.slice(m.index);
  if (tail === '/responses') return { dialect: 'openai', operation: 'responses' };
  if (m[1] === 'compact') return { dialect: 'openai', operation: 'responses_compact' };
  if (m[1] === 'input_tokens') return { dialect: 'openai', operation: 'other' };
  return { dialect: 'openai', operation: 'responses_state' };
}

export function matchOpenAIPath(path: string): DialectRequest | undefined {
  if (path.includes('/responses')) {
    const found = matchResponses(path);
    if (found) return found;
  }
  for (const [suffix, operation] of OPERATIONS) {
    if (path.endsWith(suffix)) return { dialect: 'openai', operation };
  }
  // GET /v1/models/{id}
  if (/\/models\/[^/]+$/.test(path) && !path.includes(':')) return { dialect: 'openai', operation: 'models' };
  return undefined;
}

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

export function openAIError(e: ErrorShape): unknown {
  return {
    error: {
      message: e.message,
      type: TYPES[e.status] ?? (e.status >= 500 ? 'api_error' : 'invalid_request_error'),
      param: e.param ?? null,
      code: e.code,
    },
  };
}

export const openAIDialect: Dialect = {
  name: 'openai',
  match: matchOpenAIPath,
  // The default: a request that names no dialect is OpenAI's.
  headers: [],
  error: openAIError,
  validate: validateOpenAI,
  // Chat's messages, legacy prompt, Responses' instructions + input (or embeddings' input).
  messages: (b) => b.messages ?? b.prompt ?? (b.instructions !== undefined ? { instructions: b.instructions, input: b.input } : b.input),
};
