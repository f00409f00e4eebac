// Gemini's usageMetadata -> the gateway's Usage and OpenAI's usage object. Shared
// by every translator that reads Gemini responses (AI Studio and Vertex alike).
import type { ChatUsage } from '../../dialects/openai/types.js';
import type { GeminiUsageMetadata } from '../../dialects/gemini/types.js';
import type { Usage } from '../../usage/types.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Gemini counts thoughts apart from candidates and tool-use prompts apart from the
 * prompt; both are billed, so output = candidates + thoughts (as OpenAI counts
 * reasoning inside completion tokens) and input = prompt + tool-use prompt.
 * `complete` says the response is whole (a plain body, a stream's finishing event):
 * then missing output counts mean none were made (a blocked prompt), not "unknown".
 */
export function fromGeminiUsage(u: GeminiUsageMetadata | null | undefined, complete = false): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const prompt = num(u.promptTokenCount);
  const toolPrompt = num(u.toolUsePromptTokenCount);
  const candidates = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount);
  const out: Usage = {};
  if (prompt !== undefined || toolPrompt !== undefined) out.inputTokens = (prompt ?? 0) + (toolPrompt ?? 0);
  const total = num(u.totalTokenCount);
  if (candidates !== undefined || thoughts !== undefined) out.outputTokens = (candidates ?? 0) + (thoughts ?? 0);
  else if (complete && total !== undefined && out.inputTokens !== undefined) out.outputTokens = Math.max(0, total - out.inputTokens);
  if (total !== undefined) out.totalTokens = total;
  else if (out.inputTokens !== undefined || out.outputTokens !== undefined) out.totalTokens = (out.inputTokens ?? 0) + (out.outputTokens ?? 0);
  const cached = num(u.cachedContentTokenCount);
  if (cached !== undefined) out.cachedInputTokens = cached;
  if (thoughts !== undefined) out.reasoningTokens = thoughts;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toOpenAIUsage(u: Usage): ChatUsage {
  const out: ChatUsage = {
    prompt_tokens: u.inputTokens ?? 0,
    completion_tokens: u.outputTokens ?? 0,
    total_tokens: u.totalTokens ?? (u.inputTokens ?? 0) + (u.outputTokens ?? 0),
  };
  if (u.cachedInputTokens !== undefined) out.prompt_tokens_details = { cached_tokens: u.cachedInputTokens };
  if (u.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}
