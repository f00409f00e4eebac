// Anthropic's Messages SSE -> Gemini's streamGenerateContent SSE. Text and thought
// deltas go out as they come; tool_use input arrives as JSON fragments and goes out
// whole, as one functionCall part, when its block stops (Gemini never streams partial
// arguments); a finished thinking block travels packed in the next part's
// thoughtSignature. message_delta carries the stop reason and the final counts, which
// the last event (on message_stop) repeats as finishReason and usageMetadata.
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ErrorEvent, MessageDeltaEvent } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { AnthropicEvent } from './events.js';
import { geminiFinish, geminiUsage, GeminiStreamWriter } from './gemini-parts.js';
import { AnthropicUsageTracker } from './usage.js';

type Open = { kind: 'text' } | { kind: 'thinking'; thinking: string; signature: string } | { kind: 'tool'; id: string; name: string; input: string } | { kind: 'other' };

/** Anthropic's error types -> the HTTP status Google would give them. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 503,
};

export class AnthropicToGeminiStream {
  private readonly tracker = new AnthropicUsageTracker();
  private readonly writer: GeminiStreamWriter;
  private readonly blocks = new Map<number, Open>();
  private stopReason: string | undefined;

  constructor(includeThoughts: boolean) {
    this.writer = new GeminiStreamWriter(includeThoughts);
  }

  event(ev: AnthropicEvent): string {
    if (this.writer.done) return '';
    this.tracker.observe(ev);
    switch (ev.type) {
      case 'message_start':
        this.writer.stamp.model = this.tracker.model;
        this.writer.stamp.id = this.tracker.id;
        return '';
      case 'content_block_start':
        return this.start(ev as ContentBlockStartEvent);
      case 'content_block_delta':
        return this.delta(ev as ContentBlockDeltaEvent);
      case 'content_block_stop':
        return this.stop((ev as { index?: number }).index ?? 0);
      case 'message_delta': {
        const reason = (ev as MessageDeltaEvent).delta?.stop_reason;
        if (typeof reason === 'string') this.stopReason = reason;
        return '';
      }
      case 'message_stop': {
        let out = '';
        for (const index of [...this.blocks.keys()]) out += this.stop(index);
        const u = this.tracker.rawUsage();
        const usage = geminiUsage({ input: u.input_tokens, output: u.output_tokens, cacheRead: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens });
        return out + this.writer.last(geminiFinish(this.stopReason), usage);
      }
      case 'error': {
        const err = (ev as ErrorEvent).error ?? { type: 'api_error', message: 'stream error' };
        return this.writer.error(ERROR_STATUS[err.type] ?? 500, typeof err.message === 'string' ? err.message : 'upstream stream error');
      }
      default:
        // ping and event types newer than this gateway: nothing to say.
        return '';
    }
  }

  /** The upstream body ended: a stream that never reached message_stop was cut short. */
  end(): string {
    if (!this.writer.done) throw new GatewayError('upstream_response_invalid', 'the provider stream ended before its message_stop event');
    return '';
  }

  usage(): Usage {
    return this.tracker.usage();
  }

  get responseModel(): string | undefined {
    return this.tracker.model;
  }

  get progress(): ResponseProgress {
    return this.tracker.progress;
  }

  private start(ev: ContentBlockStartEvent): string {
    const b = ev.content_block as { type?: string; text?: unknown; thinking?: unknown; signature?: unknown; id?: unknown; name?: unknown; input?: unknown; data?: unknown };
    const index = ev.index ?? 0;
    switch (b?.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        return typeof b.text === 'string' ? this.writer.text(b.text) : '';
      case 'thinking': {
        const thinking = typeof b.thinking === 'string' ? b.thinking : '';
        this.blocks.set(index, { kind: 'thinking', thinking, signature: typeof b.signature === 'string' ? b.signature : '' });
        return this.writer.thought(thinking);
      }
      case 'redacted_thinking':
        if (typeof b.data === 'string') this.writer.carry({ type: 'redacted_thinking', data: b.data });
        this.blocks.set(index, { kind: 'other' });
        return '';
      case 'tool_use': {
        // The start block's input is {} when fragments follow; a whole input may come here instead.
        const whole = b.input && typeof b.input === 'object' && Object.keys(b.input).length > 0 ? JSON.stringify(b.input) : '';
        this.blocks.set(index, { kind: 'tool', id: String(b.id ?? ''), name: String(b.name ?? ''), input: whole });
        return '';
      }
      default:
        // Server tool blocks: never asked for by this translator.
        this.blocks.set(index, { kind: 'other' });
        return '';
    }
  }

  private delta(ev: ContentBlockDeltaEvent): string {
    const open = this.blocks.get(ev.index ?? 0);
    const d = ev.delta as { type?: string; text?: unknown; thinking?: unknown; signature?: unknown; partial_json?: unknown };
    if (d?.type === 'text_delta' && typeof d.text === 'string') return this.writer.text(d.text);
    if (d?.type === 'thinking_delta' && typeof d.thinking === 'string' && open?.kind === 'thinking') {
      open.thinking += d.thinking;
      return this.writer.thought(d.thinking);
    }
    if (d?.type === 'signature_delta' && typeof d.signature === 'string' && open?.kind === 'thinking') open.signature += d.signature;
    else if (d?.type === 'input_json_delta' && typeof d.partial_json === 'string') {
      if (open?.kind !== 'tool') throw new GatewayError('upstream_response_invalid', `the provider streamed tool input for block ${ev.index} that is no tool_use`);
      open.input += d.partial_json;
    }
    return '';
  }

  private stop(index: number): string {
    const open = this.blocks.get(index);
    this.blocks.delete(index);
    if (open?.kind === 'tool') return this.writer.functionCall(open.id, open.name, open.input);
    if (open?.kind === 'thinking') this.writer.carry({ type: 'thinking', thinking: open.thinking, signature: open.signature });
    return '';
  }
}
