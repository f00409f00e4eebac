// Anthropic's Messages API as clients speak it: paths and the error shape.
import type { Dialect, DialectRequest, ErrorShape } from '../types.js';
import { validateAnthropic } from './validate.js';

export function matchAnthropicPath(path: string): DialectRequest | undefined {
  if (path.endsWith('/messages')) return { dialect: 'anthropic', operation: 'chat' };
  // Token counting takes a Messages body but returns no completion: Anthropic answers it, Gemini counts it (countTokens), other providers get the gateway's estimate.
  if (path.endsWith('/messages/count_tokens')) return { dialect: 'anthropic', operation: 'other' };
  return undefined;
}

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** The Anthropic error type Anthropic itself uses for an HTTP status. */
export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error');
}

// Anthropic's shape has no code field: the gateway's code leads the message.
export function anthropicError(e: ErrorShape): unknown {
  return {
    type: 'error',
    error: { type: anthropicErrorType(e.status), message: `${e.code}: ${e.message}` },
  };
}

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  match: matchAnthropicPath,
  headers: ['anthropic-version'],
  pathCel: "request.url_path.endsWith('/messages') || request.url_path.endsWith('/messages/count_tokens')",
  error: anthropicError,
  validate: validateAnthropic,
  messages: (b) => (b.system === undefined ? b.messages : { system: b.system, messages: b.messages }),
};
