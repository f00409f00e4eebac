// Usage -> the token keys of the llm_extproc dynamic metadata.
import type { Usage } from './types.js';

export function usageMetadata(u: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (u.inputTokens !== undefined) out.input_tokens = u.inputTokens;
  if (u.outputTokens !== undefined) out.output_tokens = u.outputTokens;
  if (u.totalTokens !== undefined) out.total_tokens = u.totalTokens;
  else if (u.inputTokens !== undefined || u.outputTokens !== undefined) out.total_tokens = (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
  if (u.cachedInputTokens !== undefined) out.cached_input_tokens = u.cachedInputTokens;
  if (u.cacheWriteInputTokens !== undefined) out.cache_write_input_tokens = u.cacheWriteInputTokens;
  if (u.reasoningTokens !== undefined) out.reasoning_tokens = u.reasoningTokens;
  if (Object.keys(out).length > 0) out.tokens_estimated = u.estimated === true;
  return out;
}
