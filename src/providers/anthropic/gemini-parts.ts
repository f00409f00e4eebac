// Claude answers in Gemini's shape, for @google/genai clients of Claude models (on
// Anthropic's API and, through Converse, on Bedrock): finish reasons, usage, the
// parts of a whole answer, and a writer of streamGenerateContent SSE events.
//
// Thinking: Claude needs its thinking blocks back, signature and text, on the next
// turn of a tool loop. A Gemini client sends back what it got as `thoughtSignature`
// (opaque to it), so the gateway packs the whole blocks there, on the first part that
// follows them (as Gemini puts its own signatures), and unpacks them from the history.
// Thought parts (`thought: true`, only with includeThoughts) are for reading: their
// text is not what goes back.
import type { RedactedThinkingBlock, ThinkingBlock } from '../../dialects/anthropic/types.js';
import type { GeminiFinishReason, GeminiPart, GeminiUsageMetadata, GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import { googleErrorBody } from '../../dialects/gemini/index.js';

export type CarriedThinking = ThinkingBlock | RedactedThinkingBlock;

const PACK_KEY = 'claudeThinking';

/** Thinking blocks -> one opaque thoughtSignature (base64, as Gemini's own are). */
export function packThinking(blocks: CarriedThinking[]): string {
  return Buffer.from(JSON.stringify({ [PACK_KEY]: blocks })).toString('base64');
}

/** The blocks a packed thoughtSignature holds; undefined for any other signature (Gemini's own). */
export function unpackThinking(sig: unknown): CarriedThinking[] | undefined {
  if (typeof sig !== 'string' || sig.length < 8) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(sig, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const blocks = (parsed as Record<string, unknown> | null)?.[PACK_KEY];
  if (!Array.isArray(blocks)) return undefined;
  const out: CarriedThinking[] = [];
  for (const b of blocks as Record<string, unknown>[]) {
    if (b?.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string') out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else if (b?.type === 'redacted_thinking' && typeof b.data === 'string') out.push({ type: 'redacted_thinking', data: b.data });
  }
  return out;
}

const FINISH: Record<string, GeminiFinishReason> = {
  end_turn: 'STOP',
  stop_sequence: 'STOP',
  // Gemini ends a turn that calls functions with STOP; the functionCall parts say the rest.
  tool_use: 'STOP',
  pause_turn: 'STOP',
  max_tokens: 'MAX_TOKENS',
  model_context_window_exceeded: 'MAX_TOKENS',
  refusal: 'SAFETY',
  // Converse's own reasons (Bedrock guardrails and content filters).
  guardrail_intervened: 'SAFETY',
  content_filtered: 'SAFETY',
};

/** Anthropic's stop_reason (or Converse's stopReason) -> Gemini's finishReason. */
export function geminiFinish(reason: unknown): GeminiFinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'OTHER') : 'STOP';
}

export interface ClaudeCounts {
  input?: number | null;
  output?: number | null;
  cacheRead?: number | null;
  cacheWrite?: number | null;
}

/**
 * Claude's counts in Gemini's terms: Gemini's prompt count includes cached tokens, Claude's
 * input excludes cache reads and writes. Claude counts thinking in its output tokens and
 * does not split them out, so candidatesTokenCount includes thoughts and no
 * thoughtsTokenCount is reported.
 */
export function geminiUsage(c: ClaudeCounts): GeminiUsageMetadata {
  const read = c.cacheRead ?? 0;
  const prompt = (c.input ?? 0) + read + (c.cacheWrite ?? 0);
  const candidates = c.output ?? 0;
  const out: GeminiUsageMetadata = { promptTokenCount: prompt, candidatesTokenCount: candidates, totalTokenCount: prompt + candidates };
  // Gemini leaves out counts that are zero; SDK users test for their presence.
  if (read > 0) out.cachedContentTokenCount = read;
  return out;
}

/** One block of a Claude answer, whichever API carried it. */
export type ClaudeBlock = { text: string } | { thinking: CarriedThinking } | { call: { id: string; name: string; args: unknown } };

function callPart(id: string, name: string, args: unknown): GeminiPart {
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw new GatewayError('upstream_response_invalid', 'the model returned tool input that is not a JSON object');
  return { functionCall: { id, name, args: args as Record<string, unknown> } };
}

/** A whole answer's blocks -> Gemini parts (never none: Gemini sends an empty text part). */
export function geminiParts(blocks: ClaudeBlock[], includeThoughts: boolean): GeminiPart[] {
  const parts: GeminiPart[] = [];
  let carried: CarriedThinking[] = [];
  const push = (p: GeminiPart) => {
    if (carried.length > 0) p.thoughtSignature = packThinking(carried);
    carried = [];
    parts.push(p);
  };
  for (const b of blocks) {
    if ('thinking' in b) {
      if (includeThoughts && b.thinking.type === 'thinking') parts.push({ text: b.thinking.thinking, thought: true });
      carried.push(b.thinking);
    } else if ('text' in b) push({ text: b.text });
    else push(callPart(b.call.id, b.call.name, b.call.args));
  }
  if (carried.length > 0 || parts.length === 0) push({ text: '' });
  return parts;
}

export interface ResponseStamp {
  model?: string;
  id?: string;
}

/** `usage` undefined: the provider reported none (the gateway then estimates its own count). */
export function generateContentResponse(parts: GeminiPart[], finish: GeminiFinishReason, usage: GeminiUsageMetadata | undefined, stamp: ResponseStamp): GenerateContentResponse {
  const res: GenerateContentResponse = { candidates: [{ content: { role: 'model', parts }, finishReason: finish, index: 0 }] };
  if (usage) res.usageMetadata = usage;
  if (stamp.model !== undefined) res.modelVersion = stamp.model;
  if (stamp.id !== undefined) res.responseId = stamp.id;
  return res;
}

/**
 * Writes streamGenerateContent SSE: one event per text or thought delta, a function call
 * as one part once its input is whole, and a last event with finishReason and usage.
 */
export class GeminiStreamWriter {
  readonly stamp: ResponseStamp = {};
  private carried: CarriedThinking[] = [];
  private ended = false;

  constructor(private readonly includeThoughts: boolean) {}

  get done(): boolean {
    return this.ended;
  }

  text(text: string): string {
    return text === '' ? '' : this.event({ text });
  }

  thought(text: string): string {
    if (!this.includeThoughts || text === '') return '';
    return this.emit([{ text, thought: true }]);
  }

  /** A finished thinking block: it travels on the next part. */
  carry(block: CarriedThinking): void {
    this.carried.push(block);
  }

  /** A whole function call; `input` is the streamed JSON text ('' for no arguments). */
  functionCall(id: string, name: string, input: string): string {
    let args: unknown = {};
    if (input.trim() !== '') {
      try {
        args = JSON.parse(input);
      } catch {
        throw new GatewayError('upstream_response_invalid', `the model streamed tool input for ${name} that is not JSON`);
      }
    }
    return this.event(callPart(id, name, args));
  }

  last(finish: GeminiFinishReason, usage: GeminiUsageMetadata | undefined): string {
    this.ended = true;
    const part: GeminiPart = { text: '' };
    if (this.carried.length > 0) part.thoughtSignature = packThinking(this.carried);
    this.carried = [];
    return sseEvent(JSON.stringify(generateContentResponse([part], finish, usage, this.stamp)));
  }

  /**
   * An error after the 200: Google writes its error JSON into the body outside the SSE
   * framing, which @google/genai raises as an ApiError.
   */
  error(status: number, message: string): string {
    this.ended = true;
    return JSON.stringify(googleErrorBody(status, message));
  }

  private event(part: GeminiPart): string {
    if (this.carried.length > 0) part.thoughtSignature = packThinking(this.carried);
    this.carried = [];
    return this.emit([part]);
  }

  private emit(parts: GeminiPart[]): string {
    const res: GenerateContentResponse = { candidates: [{ content: { role: 'model', parts }, index: 0 }] };
    if (this.stamp.model !== undefined) res.modelVersion = this.stamp.model;
    if (this.stamp.id !== undefined) res.responseId = this.stamp.id;
    return sseEvent(JSON.stringify(res));
  }
}
