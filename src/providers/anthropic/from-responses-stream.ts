// Anthropic's Messages SSE -> the OpenAI Responses event stream, one event at a time
// (written by ../shared/responses-events.ts), in the order OpenAI sends it:
// response.created, response.in_progress; per output item output_item.added, (for a
// message) content_part.added, output_text.delta…, output_text.done, content_part.done,
// (for a function call) function_call_arguments.delta…, .done; (for thinking, a
// reasoning item) reasoning_summary_part.added, reasoning_summary_text.delta…, .done,
// reasoning_summary_part.done when the client asked for summaries; output_item.done; and
// last response.completed (response.incomplete when max_tokens cut the answer) holding
// every item and the usage. Each event is `event: <type>` + `data: {type,
// sequence_number, …}`. An Anthropic `error` event becomes OpenAI's `error` event; a
// stream cut before message_stop gets one too, and stays incomplete for the accounting,
// which then estimates what was delivered.
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ErrorEvent, MessageDeltaEvent, MessageStartEvent } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { ResponsesEventWriter } from '../shared/responses-events.js';
import { idSuffix, type RequestEcho } from '../shared/responses-objects.js';
import type { AnthropicEvent } from './events.js';
import { messageId, responsesUsage, responseStatus } from './from-responses-response.js';
import { AnthropicUsageTracker } from './usage.js';

export class AnthropicToResponsesStream {
  private readonly tracker = new AnthropicUsageTracker();
  private readonly writer: ResponsesEventWriter;
  private state: 'before' | 'open' | 'done' = 'before';
  private base = '';
  private stopReason: string | undefined;

  constructor(
    private readonly created: number,
    private readonly echo: RequestEcho,
  ) {
    this.writer = new ResponsesEventWriter(echo);
  }

  /** Translates one event; returns the SSE text for the client ('' when it maps to nothing). */
  event(ev: AnthropicEvent): string {
    if (this.state === 'done') return '';
    this.tracker.observe(ev);
    switch (ev.type) {
      case 'message_start':
        return this.start(ev as MessageStartEvent);
      case 'content_block_start':
        return this.blockStart(ev as ContentBlockStartEvent);
      case 'content_block_delta':
        return this.blockDelta(ev as ContentBlockDeltaEvent);
      case 'content_block_stop':
        return this.blockStop((ev as { index?: number }).index ?? 0);
      case 'message_delta': {
        this.requireStarted(ev.type);
        const reason = (ev as MessageDeltaEvent).delta?.stop_reason;
        if (typeof reason === 'string') this.stopReason = reason;
        return '';
      }
      case 'message_stop':
        return this.stop();
      case 'error': {
        const err = (ev as ErrorEvent).error ?? { type: 'api_error', message: 'stream error' };
        this.state = 'done';
        return this.writer.error(typeof err.type === 'string' ? err.type : 'api_error', typeof err.message === 'string' ? err.message : 'upstream stream error');
      }
      default:
        // ping and event types newer than this gateway: nothing to say.
        return '';
    }
  }

  /**
   * The upstream body ended. Before message_stop it was cut short: the client gets an
   * `error` event (its SDK raises it) and progress stays incomplete (counted as cut).
   */
  end(): string {
    if (this.state === 'done') return '';
    this.state = 'done';
    return this.writer.error('upstream_response_invalid', 'the provider stream ended before its message_stop event');
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

  private start(ev: MessageStartEvent): string {
    if (this.state !== 'before') throw new GatewayError('upstream_response_invalid', 'the provider stream sent message_start twice');
    this.state = 'open';
    this.base = idSuffix(ev.message?.id);
    return this.writer.start({ id: `resp_${this.base}`, createdAt: this.created, model: ev.message?.model ?? '', echo: this.echo });
  }

  private blockStart(ev: ContentBlockStartEvent): string {
    this.requireStarted(ev.type);
    const w = this.writer;
    const block = ev.content_block as { type: string; text?: unknown; id?: unknown; name?: unknown; input?: unknown };
    const index = ev.index ?? 0;
    if (block.type === 'text') {
      // A text block's end keeps the message open: the next text block continues it.
      const out = w.openMessage(messageId(this.base, index));
      return out + (typeof block.text === 'string' && block.text !== '' ? w.text(block.text) : '');
    }
    if (block.type === 'thinking') return w.openReasoning(index, `rs_${this.base}_${index}`);
    if (block.type !== 'tool_use') return ''; // redacted thinking (nothing to show), server tool blocks (never asked for)
    const callId = String(block.id ?? '');
    const out = w.openCall(index, `fc_${idSuffix(callId)}`, callId, String(block.name ?? ''));
    // Streams start tool_use with input {} and send the JSON as deltas; a non-empty input is sent whole.
    const whole = block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
    return out + (whole ? w.args(index, whole) : '');
  }

  private blockDelta(ev: ContentBlockDeltaEvent): string {
    this.requireStarted(ev.type);
    const index = ev.index ?? 0;
    const d = ev.delta as { type: string; text?: unknown; partial_json?: unknown; thinking?: unknown };
    if (d.type === 'text_delta' && typeof d.text === 'string' && d.text !== '') {
      if (!this.writer.messageOpen) throw new GatewayError('upstream_response_invalid', `the provider sent text for block ${ev.index}, which is no text block`);
      return this.writer.text(d.text);
    }
    if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
      if (!this.writer.hasCall(index)) throw new GatewayError('upstream_response_invalid', `the provider sent tool input for block ${ev.index}, which is no tool_use block`);
      return this.writer.args(index, d.partial_json);
    }
    if (d.type === 'thinking_delta' && typeof d.thinking === 'string' && d.thinking !== '' && this.writer.reasoningKey === index) return this.writer.reasoningText(d.thinking);
    // signature and citations deltas: the Responses answer has no place for them.
    return '';
  }

  private blockStop(index: number): string {
    if (this.writer.reasoningKey === index) return this.writer.closeReasoning();
    return this.writer.closeCall(index);
  }

  private stop(): string {
    this.requireStarted('message_stop');
    this.state = 'done';
    const { status, incomplete_details } = responseStatus(this.stopReason);
    return this.writer.finish(status, responsesUsage(this.tracker.rawUsage()), incomplete_details);
  }

  private requireStarted(type: string): void {
    if (this.state === 'before') throw new GatewayError('upstream_response_invalid', `the provider stream sent ${type} before message_start`);
  }
}
