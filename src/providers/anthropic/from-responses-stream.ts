// Anthropic's Messages SSE -> the OpenAI Responses event stream, one event at a time,
// in the order OpenAI sends it and the SDK's stream helper accumulates it:
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
import type { ResponseOutputItem, ResponseStatus } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { AnthropicEvent } from './events.js';
import { functionCallItem, idSuffix, messageId, messageItem, reasoningItem, type RequestEcho, type ResponseShell, responseObject, responsesUsage, responseStatus } from './from-responses-response.js';
import { AnthropicUsageTracker } from './usage.js';

type OpenItem =
  | { kind: 'message'; id: string; outputIndex: number; text: string }
  | { kind: 'call'; id: string; outputIndex: number; callId: string; name: string; args: string; block: number }
  | { kind: 'reasoning'; id: string; outputIndex: number; text: string; block: number };

export class AnthropicToResponsesStream {
  private readonly tracker = new AnthropicUsageTracker();
  private state: 'before' | 'open' | 'done' = 'before';
  private seq = 0;
  private shell: ResponseShell | undefined;
  private base = '';
  private readonly output: ResponseOutputItem[] = [];
  private message: Extract<OpenItem, { kind: 'message' }> | undefined;
  private readonly calls = new Map<number, Extract<OpenItem, { kind: 'call' }>>();
  private thinking: Extract<OpenItem, { kind: 'reasoning' }> | undefined;
  private stopReason: string | undefined;

  constructor(
    private readonly created: number,
    private readonly echo: RequestEcho,
  ) {}

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
        return this.fail(typeof err.type === 'string' ? err.type : 'api_error', typeof err.message === 'string' ? err.message : 'upstream stream error');
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
    return this.send('error', { code: 'upstream_response_invalid', message: 'the provider stream ended before its message_stop event', param: null });
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
    this.shell = { id: `resp_${this.base}`, createdAt: this.created, model: ev.message?.model ?? '', echo: this.echo };
    const r = responseObject(this.shell, 'in_progress', [], null);
    return this.send('response.created', { response: r }) + this.send('response.in_progress', { response: r });
  }

  private blockStart(ev: ContentBlockStartEvent): string {
    this.requireStarted(ev.type);
    const block = ev.content_block as { type: string; text?: unknown; id?: unknown; name?: unknown; input?: unknown };
    if (block.type === 'text') {
      let out = '';
      if (!this.message) {
        const outputIndex = this.output.length;
        this.message = { kind: 'message', id: messageId(this.base, ev.index ?? 0), outputIndex, text: '' };
        this.output.push(messageItem(this.message.id, '', 'in_progress'));
        const item = { ...messageItem(this.message.id, '', 'in_progress'), content: [] };
        out += this.send('response.output_item.added', { output_index: outputIndex, item });
        out += this.send('response.content_part.added', { item_id: this.message.id, output_index: outputIndex, content_index: 0, part: textPart('') });
      }
      return out + (typeof block.text === 'string' && block.text !== '' ? this.text(block.text) : '');
    }
    if (block.type === 'thinking') return this.closeMessage() + this.thinkingStart(ev.index ?? 0);
    if (block.type !== 'tool_use') return ''; // redacted thinking (nothing to show), server tool blocks (never asked for)
    let out = this.closeMessage();
    const callId = String(block.id ?? '');
    const call: Extract<OpenItem, { kind: 'call' }> = { kind: 'call', id: `fc_${idSuffix(callId)}`, outputIndex: this.output.length, callId, name: String(block.name ?? ''), args: '', block: ev.index ?? 0 };
    this.calls.set(call.block, call);
    this.output.push(functionCallItem(call.id, callId, call.name, '', 'in_progress'));
    out += this.send('response.output_item.added', { output_index: call.outputIndex, item: functionCallItem(call.id, callId, call.name, '', 'in_progress') });
    // Streams start tool_use with input {} and send the JSON as deltas; a non-empty input is sent whole.
    const whole = block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
    return out + (whole ? this.args(call, whole) : '');
  }

  private blockDelta(ev: ContentBlockDeltaEvent): string {
    this.requireStarted(ev.type);
    const d = ev.delta as { type: string; text?: unknown; partial_json?: unknown };
    if (d.type === 'text_delta' && typeof d.text === 'string' && d.text !== '') {
      if (!this.message) throw new GatewayError('upstream_response_invalid', `the provider sent text for block ${ev.index}, which is no text block`);
      return this.text(d.text);
    }
    if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
      const call = this.calls.get(ev.index ?? 0);
      if (!call) throw new GatewayError('upstream_response_invalid', `the provider sent tool input for block ${ev.index}, which is no tool_use block`);
      return this.args(call, d.partial_json);
    }
    const t = ev.delta as { type: string; thinking?: unknown };
    if (t.type === 'thinking_delta' && typeof t.thinking === 'string' && t.thinking !== '' && this.thinking?.block === (ev.index ?? 0)) {
      this.thinking.text += t.thinking;
      if (this.summaries) return this.send('response.reasoning_summary_text.delta', { item_id: this.thinking.id, output_index: this.thinking.outputIndex, summary_index: 0, delta: t.thinking });
    }
    // signature and citations deltas: the Responses answer has no place for them.
    return '';
  }

  /** A text block's end keeps the message open: the next text block continues it. */
  private blockStop(index: number): string {
    if (this.thinking?.block === index) return this.thinkingStop();
    const call = this.calls.get(index);
    if (!call) return '';
    this.calls.delete(index);
    const item = functionCallItem(call.id, call.callId, call.name, call.args, 'completed');
    this.output[call.outputIndex] = item;
    return (
      this.send('response.function_call_arguments.done', { item_id: call.id, output_index: call.outputIndex, arguments: call.args }) +
      this.send('response.output_item.done', { output_index: call.outputIndex, item })
    );
  }

  private stop(): string {
    this.requireStarted('message_stop');
    let out = this.closeMessage() + (this.thinking ? this.thinkingStop() : '');
    for (const index of [...this.calls.keys()]) out += this.blockStop(index);
    this.state = 'done';
    const { status, incomplete_details } = responseStatus(this.stopReason);
    const r = responseObject(this.shell!, status, this.output, responsesUsage(this.tracker.rawUsage()), incomplete_details);
    return out + this.send(terminalEvent(status), { response: r });
  }

  private fail(code: string, message: string): string {
    this.state = 'done';
    return this.send('error', { code, message, param: null });
  }

  private text(delta: string): string {
    const m = this.message!;
    m.text += delta;
    return this.send('response.output_text.delta', { item_id: m.id, output_index: m.outputIndex, content_index: 0, delta, logprobs: [] });
  }

  private args(call: Extract<OpenItem, { kind: 'call' }>, delta: string): string {
    call.args += delta;
    return this.send('response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta });
  }

  private closeMessage(): string {
    const m = this.message;
    if (!m) return '';
    this.message = undefined;
    const item = messageItem(m.id, m.text, 'completed');
    this.output[m.outputIndex] = item;
    return (
      this.send('response.output_text.done', { item_id: m.id, output_index: m.outputIndex, content_index: 0, text: m.text, logprobs: [] }) +
      this.send('response.content_part.done', { item_id: m.id, output_index: m.outputIndex, content_index: 0, part: textPart(m.text) }) +
      this.send('response.output_item.done', { output_index: m.outputIndex, item })
    );
  }

  private get summaries(): boolean {
    return this.echo.reasoning.summary !== null;
  }

  private thinkingStart(block: number): string {
    const r: Extract<OpenItem, { kind: 'reasoning' }> = { kind: 'reasoning', id: `rs_${this.base}_${block}`, outputIndex: this.output.length, text: '', block };
    this.thinking = r;
    this.output.push(reasoningItem(r.id, '', this.echo));
    let out = this.send('response.output_item.added', { output_index: r.outputIndex, item: reasoningItem(r.id, '', this.echo) });
    if (this.summaries) out += this.send('response.reasoning_summary_part.added', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return out;
  }

  private thinkingStop(): string {
    const r = this.thinking!;
    this.thinking = undefined;
    const item = reasoningItem(r.id, r.text, this.echo);
    this.output[r.outputIndex] = item;
    let out = '';
    if (this.summaries) {
      out += this.send('response.reasoning_summary_text.done', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, text: r.text });
      out += this.send('response.reasoning_summary_part.done', { item_id: r.id, output_index: r.outputIndex, summary_index: 0, part: { type: 'summary_text', text: r.text } });
    }
    return out + this.send('response.output_item.done', { output_index: r.outputIndex, item });
  }

  private requireStarted(type: string): void {
    if (this.state === 'before') throw new GatewayError('upstream_response_invalid', `the provider stream sent ${type} before message_start`);
  }

  /** One event: `type` first (as OpenAI writes it), then its sequence number. */
  private send(type: string, fields: Record<string, unknown>): string {
    const data = JSON.stringify({ type, sequence_number: this.seq++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}

const textPart = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });

function terminalEvent(status: ResponseStatus): string {
  return status === 'incomplete' ? 'response.incomplete' : 'response.completed';
}
