// Gemini GenerateContentResponse -> OpenAI chat.completion, and the pieces the
// streamed translation shares with it: finish reasons, tool-call ids, logprobs. Thought
// parts (`thought: true`, summaries Gemini sends with includeThoughts) are not the answer:
// Chat Completions has no field for them, so they are written, as the message's
// `reasoning_content`, only with `reasoning` set (the Responses adapter, which makes a
// reasoning item of them). A call's thoughtSignature is kept on the tool call where Google's
// own OpenAI-compatible API puts it.
import { randomBytes } from 'node:crypto';
import type { ChatCompletion, ChatToolCall, FinishReason } from '../../dialects/openai/types.js';
import type { GeminiCandidate, GeminiFinishReason, GeminiFunctionCall, GeminiLogprobsResult, GeminiPart, GenerateContentResponse } from '../../dialects/gemini/types.js';
import { fromGeminiUsage, toOpenAIUsage } from './usage.js';

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** Gemini's finish reason -> OpenAI's; a turn that called functions finishes with tool_calls. */
export function finishReason(reason: GeminiFinishReason | undefined, calledTools: boolean): FinishReason | null {
  if (reason === undefined) return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/**
 * Tool-call ids for one response. Gemini often sends calls without ids, and OpenAI
 * clients need one per call to answer it: ids derive from the response id and a
 * counter, so the same upstream response always gives the same ids.
 */
export class ToolCallIds {
  private seed: string | undefined;
  private n = 0;

  /** `prefix`: how the client's API spells its ids (call_ for OpenAI, toolu_ for Anthropic). */
  constructor(private readonly prefix = 'call') {}

  next(call: GeminiFunctionCall, responseId: string | undefined): string {
    if (typeof call.id === 'string' && call.id !== '') return call.id;
    this.seed ??= (responseId ?? randomBytes(9).toString('base64url')).replace(/[^A-Za-z0-9_-]/g, '');
    return `${this.prefix}_${this.seed}_${this.n++}`;
  }
}

/** An OpenAI tool call, with Gemini's thought signature where Google's own compatibility API puts it. */
export type GeminiToolCall = ChatToolCall & { extra_content?: { google: { thought_signature: string } } };

export function toolCall(part: GeminiPart & { functionCall: GeminiFunctionCall }, id: string): GeminiToolCall {
  const out: GeminiToolCall = { id, type: 'function', function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) } };
  if (typeof part.thoughtSignature === 'string') out.extra_content = { google: { thought_signature: part.thoughtSignature } };
  return out;
}

/** The candidate's visible text: thought summaries are not the answer. */
export function candidateText(c: GeminiCandidate): string | undefined {
  let text: string | undefined;
  for (const p of c.content?.parts ?? []) if (typeof p.text === 'string' && p.thought !== true) text = (text ?? '') + p.text;
  return text;
}

/** The candidate's thought summaries (thought parts' text), if any. */
export function candidateThoughts(c: GeminiCandidate): string | undefined {
  let text: string | undefined;
  for (const p of c.content?.parts ?? []) if (typeof p.text === 'string' && p.text !== '' && p.thought === true) text = (text ?? '') + p.text;
  return text;
}

export function functionCallParts(c: GeminiCandidate): (GeminiPart & { functionCall: GeminiFunctionCall })[] {
  return (c.content?.parts ?? []).filter((p): p is GeminiPart & { functionCall: GeminiFunctionCall } => !!p.functionCall && typeof p.functionCall.name === 'string');
}

export interface OpenAILogprobs {
  content: { token: string; logprob: number; bytes: number[] | null; top_logprobs: { token: string; logprob: number; bytes: number[] | null }[] }[];
}

export function toOpenAILogprobs(r: GeminiLogprobsResult | undefined): OpenAILogprobs | undefined {
  if (!r?.chosenCandidates) return undefined;
  const entry = (c: { token?: string; logProbability?: number }) => ({
    token: c.token ?? '',
    logprob: c.logProbability ?? 0,
    bytes: c.token === undefined ? null : [...Buffer.from(c.token, 'utf8')],
  });
  return {
    content: r.chosenCandidates.map((c, i) => ({ ...entry(c), top_logprobs: (r.topCandidates?.[i]?.candidates ?? []).map(entry) })),
  };
}

export interface CompletionDefaults {
  id: string;
  model: string;
  created: number;
}

/** @param reasoning write thought summaries as the message's reasoning_content (for the Responses adapter only) */
export function toChatCompletion(res: GenerateContentResponse, ids: ToolCallIds, d: CompletionDefaults, reasoning = false): ChatCompletion {
  const candidates = res.candidates ?? [];
  const choices: ChatCompletion['choices'] = candidates.map((c, i) => {
    const calls = functionCallParts(c).map((p) => toolCall(p, ids.next(p.functionCall, res.responseId)));
    const message: ChatCompletion['choices'][number]['message'] & { reasoning_content?: string } = { role: 'assistant', content: candidateText(c) ?? null };
    const thoughts = reasoning ? candidateThoughts(c) : undefined;
    if (thoughts !== undefined) message.reasoning_content = thoughts;
    if (calls.length > 0) message.tool_calls = calls;
    return {
      index: c.index ?? i,
      message,
      logprobs: toOpenAILogprobs(c.logprobsResult) ?? null,
      // A candidate without a finish reason in a whole response still ended.
      finish_reason: finishReason(c.finishReason ?? 'STOP', calls.length > 0),
    };
  });
  if (choices.length === 0 && res.promptFeedback?.blockReason) {
    // The prompt itself was blocked: OpenAI clients see an empty, filtered answer.
    choices.push({ index: 0, message: { role: 'assistant', content: null }, logprobs: null, finish_reason: 'content_filter' });
  }
  const out: ChatCompletion = {
    id: res.responseId ?? d.id,
    object: 'chat.completion',
    created: d.created,
    model: res.modelVersion ?? d.model,
    choices,
  };
  const usage = fromGeminiUsage(res.usageMetadata, true);
  if (usage) out.usage = toOpenAIUsage(usage);
  return out;
}
