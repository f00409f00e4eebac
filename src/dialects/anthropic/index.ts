// Anthropic's Messages API as clients speak it: paths and the error shape.
import type { DialectRequest, ErrorShape } from '../types.js';

export function matchAnthropicPath(path: string): DialectRequest | undefined {
  if (path.endsWith('/messages')) return { dialect: 'anthropic', operation: 'chat' };
  return undefined;
}

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

// Anthropic's shape has no code field: the gateway's code leads the message.
export function anthropicError(e: ErrorShape): unknown {
  return {
    type: 'error',
    error: { type: TYPES[e.status] ?? 'api_error', message: `${e.code}: ${e.message}` },
  };
}
