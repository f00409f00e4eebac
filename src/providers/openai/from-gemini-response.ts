// A whole OpenAI chat.completion (or error) -> Gemini's GenerateContentResponse (or
// Google's error shape), for Gemini-dialect clients of OpenAI models; and the pieces
// the streamed translation shares: finish reasons, usage, function-call parts.
// Usage is re-split the Gemini way: OpenAI's completion_tokens include reasoning
// tokens, Gemini's candidatesTokenCount does not (they are thoughtsTokenCount).
import type { GeminiFinishReason, GeminiPart, GeminiUsageMetadata, GenerateContentResponse } from '../../dialects/gemini/types.js';
import type { ChatCompletion, ChatUsage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { parseToolArguments, reasoningText } from './from-anthropic-response.js';

const FINISH: Record<string, GeminiFinishReason> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini ends a turn that calls functions with STOP; the functionCall parts say the rest.
  tool_calls: 'STOP',
  function_call: 'STOP',
  content_filter: 'SAFETY',
};

export function toGeminiFinish(reason: unknown): GeminiFinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'OTHER') : 'STOP';
}

type UsageIn = (Partial<ChatUsage> & { prompt_tokens_details?: { cached_tokens?: number } | null; completion_tokens_details?: { reasoning_tokens?: number } | null }) | null | undefined;

export function toGeminiUsage(u: UsageIn): GeminiUsageMetadata {
  const prompt = u?.prompt_tokens ?? 0;
  const completion = u?.completion_tokens ?? 0;
  const reasoning = u?.completion_tokens_details?.reasoning_tokens ?? 0;
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const out: GeminiUsageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, completion - reasoning),
    totalTokenCount: u?.total_tokens ?? prompt + completion,
  };
  // Gemini leaves out counts that are zero; SDK users test for their presence.
  if (cached > 0) out.cachedContentTokenCount = cached;
  if (reasoning > 0) out.thoughtsTokenCount = reasoning;
  return out;
}

/** A tool call as Gemini's functionCall part: arguments as an object, the OpenAI id kept so the client's functionResponse can name it. */
export function functionCallPart(id: string | undefined, name: string, args: unknown): GeminiPart {
  const parsed = parseToolArguments(args);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GatewayError('upstream_response_invalid', 'the model returned tool call arguments that are not a JSON object');
  return { functionCall: { ...(id ? { id } : {}), name, args: parsed as Record<string, unknown> } };
}

type CompletionMessage = ChatCompletion['choices'][number]['message'] & { reasoning_content?: unknown; reasoning?: unknown };

export function toGenerateContentResponse(c: ChatCompletion): GenerateContentResponse {
  const choice = Array.isArray(c?.choices) ? c.choices[0] : undefined;
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new GatewayError('upstream_response_invalid', 'the provider answered with a chat completion without a choice');
  }
  const m = choice.message as CompletionMessage;
  const parts: GeminiPart[] = [];
  // Compatible servers (DeepSeek, vLLM, Ollama) return a reasoning model's thoughts beside the answer: Gemini's thought parts.
  const reasoning = reasoningText(m);
  if (reasoning) parts.push({ text: reasoning, thought: true });
  const text = (m.content ?? '') + (m.refusal ?? '');
  if (text !== '') parts.push({ text });
  for (const call of m.tool_calls ?? []) parts.push(functionCallPart(call.id, call.function?.name ?? '', call.function?.arguments));
  if (parts.length === 0) parts.push({ text: '' });
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: toGeminiFinish(choice.finish_reason), index: 0 }],
    usageMetadata: toGeminiUsage(c.usage),
    modelVersion: c.model,
    responseId: c.id,
  };
}
