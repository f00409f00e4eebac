// OpenAI's usage object -> the gateway's Usage. Shared by every translator that
// reads OpenAI-shaped responses (OpenAI itself, Azure OpenAI, compatible servers).
import type { Usage } from '../../usage/types.js';

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export function fromOpenAIUsage(u: OpenAIUsage | null | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const out: Usage = {};
  if (typeof u.prompt_tokens === 'number') out.inputTokens = u.prompt_tokens;
  if (typeof u.completion_tokens === 'number') out.outputTokens = u.completion_tokens;
  if (typeof u.total_tokens === 'number') out.totalTokens = u.total_tokens;
  else if (out.inputTokens !== undefined) out.totalTokens = out.inputTokens + (out.outputTokens ?? 0);
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out.cachedInputTokens = cached;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.reasoningTokens = reasoning;
  return out;
}
