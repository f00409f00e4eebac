// The Responses API's usage object (input/output_tokens, their details) -> the gateway's
// Usage. Shared by every translator that reads Responses-shaped answers (OpenAI, Azure
// OpenAI, and later translators that build them for other providers' clients).
import type { ResponsesUsage } from '../../dialects/openai/responses-types.js';
import type { Usage } from '../../usage/types.js';

export function fromResponsesUsage(u: Partial<ResponsesUsage> | null | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const out: Usage = {};
  if (typeof u.input_tokens === 'number') out.inputTokens = u.input_tokens;
  if (typeof u.output_tokens === 'number') out.outputTokens = u.output_tokens;
  if (typeof u.total_tokens === 'number') out.totalTokens = u.total_tokens;
  else if (out.inputTokens !== undefined) out.totalTokens = out.inputTokens + (out.outputTokens ?? 0);
  const cached = u.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out.cachedInputTokens = cached;
  const reasoning = u.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.reasoningTokens = reasoning;
  return Object.keys(out).length > 0 ? out : undefined;
}
