// OpenAI's client-facing API: which paths speak it and how its errors look.
import type { Dialect, DialectRequest, ErrorShape } from '../types.js';
import { validateOpenAI } from './validate.js';

const OPERATIONS: [suffix: string, op: DialectRequest['operation']][] = [
  ['/chat/completions', 'chat'],
  ['/completions', 'completions'],
  ['/embeddings', 'embeddings'],
  ['/models', 'models'],
];

export function matchOpenAIPath(path: string): DialectRequest | undefined {
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
  messages: (b) => b.messages ?? b.prompt ?? b.input,
};
