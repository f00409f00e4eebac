// Request headers every Anthropic translator sets or removes upstream.
import type { TranslationContext } from '../types.js';

/** The API version the gateway speaks when neither the backend nor the client names one. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export interface HeaderChanges {
  setHeaders: Record<string, string>;
  removeHeaders: string[];
}

/**
 * `anthropic-version`: a backend's `anthropicVersion` wins, else the client's own
 * header (Anthropic SDKs send one), else the default. `accept-encoding` goes so the
 * body arrives uncompressed: translators and usage counting read its bytes.
 */
export function anthropicHeaders(ctx: TranslationContext, alsoRemove: string[] = []): HeaderChanges {
  const configured = typeof ctx.options.anthropicVersion === 'string' ? ctx.options.anthropicVersion : undefined;
  const setHeaders: Record<string, string> = {};
  if (configured) setHeaders['anthropic-version'] = configured;
  else if (!ctx.requestHeaders.has('anthropic-version')) setHeaders['anthropic-version'] = DEFAULT_ANTHROPIC_VERSION;
  return { setHeaders, removeHeaders: ['accept-encoding', ...alsoRemove] };
}
