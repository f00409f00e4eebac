// Streamed Gemini (SSE of GenerateContentResponse) -> Anthropic's Messages event sequence:
// message_start; per block content_block_start / _delta / _stop (text_delta; thinking_delta
// then signature_delta; a tool_use whose whole arguments are one input_json_delta, as Gemini
// sends calls whole); message_delta (stop_reason, cumulative usage) and message_stop as soon
// as the finishing event arrives. Blocks follow the same rules as the plain translation
// (from-anthropic-response.ts), so a stream and a whole answer give the same content.
import type { AnthropicUsage } from '../../dialects/anthropic/types.js';
import type { GeminiPart, GenerateContentResponse } from '../../dialects/gemini/types.js';
import { sseEvent } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ToolCallIds } from './chat-response.js';
import { NEXT_PART_SIGNATURE, THOUGHT_SIGNATURE } from './from-anthropic-request.js';
import { anthropicUsageFromGemini, messageId, stopReasonFromGemini } from './from-anthropic-response.js';
import { observeGemini } from './progress.js';
import { fromGeminiUsage } from './usage.js';

type Open = { kind: 'text' | 'tool'; index: number } | { kind: 'thinking'; index: number; signed: boolean };

export class AnthropicEventsFromGemini {
  readonly progress = new ResponseProgress();
  private state: 'before' | 'open' | 'done' = 'before';
  private open: Open | undefined;
  private nextIndex = 0;
  private calledTools = false;
  private responseId: string | undefined;
  private model: string | undefined;
  private rawUsage: GenerateContentResponse['usageMetadata'];
  private seenUsage: Usage = {};

  constructor(
    private readonly ids: ToolCallIds,
    private readonly defaults: { id: string; model: string },
  ) {}

  get usage(): Usage {
    return this.seenUsage;
  }

  get responseModel(): string | undefined {
    return this.model;
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** One upstream event -> the Anthropic SSE text it makes (maybe none). */
  event(res: GenerateContentResponse): string {
    this.responseId ??= res.responseId;
    if (typeof res.modelVersion === 'string') this.model = res.modelVersion;
    if (res.usageMetadata) this.rawUsage = res.usageMetadata;
    const finishing = observeGemini(this.progress, res, false);
    const usage = fromGeminiUsage(res.usageMetadata, finishing);
    if (usage) this.seenUsage = usage;
    // Anything after the finishing event (a late usage report) only updates the counts.
    if (this.state === 'done') return '';
    let out = this.state === 'before' ? this.start() : '';
    const c = res.candidates?.[0];
    for (const p of c?.content?.parts ?? []) out += this.part(p);
    if (c?.finishReason !== undefined) out += this.finish(stopReasonFromGemini(c.finishReason, this.calledTools) ?? 'end_turn');
    else if (!c && res.promptFeedback?.blockReason) out += this.finish('refusal');
    return out;
  }

  /** The upstream body ended: an unfinished stream becomes an error event, never a silent end. */
  end(): string {
    if (this.state === 'done') return '';
    // Not complete: the accounting records the stream as cut and estimates what was delivered.
    return this.error('api_error', 'the Gemini stream ended before its last event', false);
  }

  /** An error mid-stream (Google sends `{"error": …}` as an event): Anthropic's error event. */
  error(type: string, message: string, complete = true): string {
    this.state = 'done';
    if (complete) this.progress.markComplete();
    return sseEvent(JSON.stringify({ type: 'error', error: { type, message } }), 'error');
  }

  private start(): string {
    this.state = 'open';
    const message = {
      id: messageId(this.responseId, this.defaults.id),
      type: 'message',
      role: 'assistant',
      model: this.model ?? this.defaults.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Gemini counts the prompt on its first event; output is known at the end (message_delta).
      usage: { ...anthropicUsageFromGemini(this.rawUsage), output_tokens: 0 },
    };
    return this.emit('message_start', { message });
  }

  private part(p: GeminiPart): string {
    const sig = typeof p.thoughtSignature === 'string' && p.thoughtSignature !== '' ? p.thoughtSignature : undefined;
    let out = '';
    if (p.thought === true) {
      if (this.open?.kind !== 'thinking' || this.open.signed) out += this.openBlock({ kind: 'thinking', index: 0, signed: false }, { type: 'thinking', thinking: '', signature: '' });
      const open = this.open as Extract<Open, { kind: 'thinking' }>;
      if (p.text) out += this.delta({ type: 'thinking_delta', thinking: p.text });
      if (sig) {
        open.signed = true;
        out += this.delta({ type: 'signature_delta', signature: THOUGHT_SIGNATURE + sig });
      }
      return out;
    }
    if (sig) {
      // The signature of the part that follows: an empty thinking block of its own, right before it.
      out += this.openBlock({ kind: 'thinking', index: 0, signed: true }, { type: 'thinking', thinking: '', signature: '' });
      out += this.delta({ type: 'signature_delta', signature: NEXT_PART_SIGNATURE + sig });
    }
    if (typeof p.text === 'string' && (p.text !== '' || this.open?.kind === 'text')) {
      if (this.open?.kind !== 'text') out += this.openBlock({ kind: 'text', index: 0 }, { type: 'text', text: '' });
      if (p.text !== '') out += this.delta({ type: 'text_delta', text: p.text });
    }
    if (p.functionCall && typeof p.functionCall.name === 'string') {
      this.calledTools = true;
      const id = this.ids.next(p.functionCall, this.responseId);
      out += this.openBlock({ kind: 'tool', index: 0 }, { type: 'tool_use', id, name: p.functionCall.name, input: {} });
      out += this.delta({ type: 'input_json_delta', partial_json: JSON.stringify(p.functionCall.args ?? {}) });
      out += this.closeBlock();
    }
    return out;
  }

  private openBlock(open: Open, block: Record<string, unknown>): string {
    const out = this.closeBlock();
    open.index = this.nextIndex++;
    this.open = open;
    return out + this.emit('content_block_start', { index: open.index, content_block: block });
  }

  private closeBlock(): string {
    if (!this.open) return '';
    const { index } = this.open;
    this.open = undefined;
    return this.emit('content_block_stop', { index });
  }

  private delta(delta: Record<string, unknown>): string {
    return this.emit('content_block_delta', { index: this.open!.index, delta });
  }

  private finish(stopReason: string): string {
    this.state = 'done';
    this.progress.markComplete();
    const usage: AnthropicUsage = anthropicUsageFromGemini(this.rawUsage);
    return this.closeBlock() + this.emit('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage }) + this.emit('message_stop', {});
  }

  private emit(type: string, body: Record<string, unknown>): string {
    return sseEvent(JSON.stringify({ type, ...body }), type);
  }
}
