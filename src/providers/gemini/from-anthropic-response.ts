// A whole Gemini GenerateContentResponse (or error) -> Anthropic's message (or error), and
// the rules the streamed translation shares: stop reasons, usage, thought signatures.
//
// Thought signatures: a thought part's signature is its thinking block's `signature` (behind
// THOUGHT_SIGNATURE); a signature Gemini puts on a text or function call part (Gemini 3 does,
// and wants it back on that part) rides in an empty thinking block right before that block,
// behind NEXT_PART_SIGNATURE. The prefixes tell Gemini's signatures from Claude's. Anthropic clients send thinking blocks back unchanged in
// tool loops, so the next request puts every signature back where it came from.
import { anthropicErrorType } from '../../dialects/anthropic/index.js';
import type { AnthropicUsage, ContentBlock, Message, StopReason } from '../../dialects/anthropic/types.js';
import type { GeminiCandidate, GeminiFinishReason, GeminiUsageMetadata, GenerateContentResponse } from '../../dialects/gemini/types.js';
import type { ToolCallIds } from './chat-response.js';
import { parseGoogleError } from './errors.js';
import { NEXT_PART_SIGNATURE, THOUGHT_SIGNATURE } from './from-anthropic-request.js';

const REFUSED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/**
 * Gemini's finish reason -> Anthropic's stop_reason. Gemini says STOP whether or not a stop
 * sequence matched (and not which): end_turn. Content filters are Anthropic's refusal.
 */
export function stopReasonFromGemini(reason: GeminiFinishReason | undefined, calledTools: boolean): StopReason | null {
  if (reason === undefined) return null;
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  if (REFUSED.has(reason)) return 'refusal';
  return calledTools ? 'tool_use' : 'end_turn';
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Anthropic's input_tokens exclude cache reads; Gemini's prompt count includes them. Thoughts are output. */
export function anthropicUsageFromGemini(u: GeminiUsageMetadata | undefined): AnthropicUsage {
  const cached = n(u?.cachedContentTokenCount);
  return {
    input_tokens: Math.max(0, n(u?.promptTokenCount) + n(u?.toolUsePromptTokenCount) - cached),
    output_tokens: n(u?.candidatesTokenCount) + n(u?.thoughtsTokenCount),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** Anthropic ids are `msg_…`; Gemini's responseId makes the same answer keep its id. */
export function messageId(responseId: string | undefined, fallback: string): string {
  const clean = responseId?.replace(/[^A-Za-z0-9_-]/g, '');
  return clean ? `msg_${clean}` : fallback;
}

export interface MessageDefaults {
  id: string;
  model: string;
}

/** The first candidate's parts as Anthropic content blocks (Anthropic has one answer per message). */
export function contentFromCandidate(c: GeminiCandidate | undefined, ids: ToolCallIds, responseId: string | undefined): ContentBlock[] {
  const out: ContentBlock[] = [];
  let thoughtOpen = false;
  for (const p of c?.content?.parts ?? []) {
    const sig = typeof p.thoughtSignature === 'string' && p.thoughtSignature !== '' ? p.thoughtSignature : undefined;
    const last = out[out.length - 1];
    if (p.thought === true) {
      if (thoughtOpen && last?.type === 'thinking') last.thinking += p.text ?? '';
      else out.push({ type: 'thinking', thinking: p.text ?? '', signature: '' });
      const block = out[out.length - 1] as Extract<ContentBlock, { type: 'thinking' }>;
      thoughtOpen = sig === undefined;
      if (sig) block.signature = THOUGHT_SIGNATURE + sig;
      continue;
    }
    thoughtOpen = false;
    if (sig) out.push({ type: 'thinking', thinking: '', signature: NEXT_PART_SIGNATURE + sig });
    if (typeof p.text === 'string') {
      const prev = out[out.length - 1];
      if (prev?.type === 'text') prev.text += p.text;
      else if (p.text !== '') out.push({ type: 'text', text: p.text });
    }
    if (p.functionCall && typeof p.functionCall.name === 'string') {
      out.push({ type: 'tool_use', id: ids.next(p.functionCall, responseId), name: p.functionCall.name, input: p.functionCall.args ?? {} });
    }
  }
  return out;
}

export function messageFromGemini(res: GenerateContentResponse, ids: ToolCallIds, d: MessageDefaults): Message {
  const c = res.candidates?.[0];
  const content = contentFromCandidate(c, ids, res.responseId);
  const called = content.some((b) => b.type === 'tool_use');
  // A blocked prompt has no candidate: an empty refusal. A whole candidate without a reason still ended.
  const stop = c ? stopReasonFromGemini(c.finishReason ?? 'STOP', called) : res.promptFeedback?.blockReason ? 'refusal' : 'end_turn';
  return {
    id: messageId(res.responseId, d.id),
    type: 'message',
    role: 'assistant',
    model: res.modelVersion ?? d.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: anthropicUsageFromGemini(res.usageMetadata),
  };
}

const MAX_MESSAGE = 2000;

/** A Google error (or any error body) -> Anthropic's error JSON; the upstream status stays. */
export function googleErrorToAnthropic(status: number, body: Buffer): Buffer {
  const text = body.toString('utf8');
  const err = parseGoogleError(text);
  const message = err?.message ?? (text.trim() === '' ? `upstream returned status ${status}` : text.trim().slice(0, MAX_MESSAGE));
  return Buffer.from(JSON.stringify({ type: 'error', error: { type: anthropicErrorType(status), message: err?.status ? `${err.status}: ${message}` : message } }));
}
