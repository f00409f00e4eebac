// Bedrock Converse answers -> Anthropic Messages: the plain message, and the
// ConverseStream events re-emitted as Anthropic's SSE events. Converse reports the
// stop reason (messageStop) before the usage (metadata), while Anthropic puts both
// in message_delta: the stop reason waits for the usage, or for the end of the body.
import { anthropicError } from '../../dialects/anthropic/index.js';
import type { AnthropicUsage, ContentBlock as AContent, Message, StopReason as AStopReason } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import type { StreamRenderer } from './base.js';
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ConverseResponse, ConverseUsage, MessageStopEvent, MetadataEvent } from './converse-types.js';
import { exceptionStatus, fromConverseUsage, type ResponseIdentity } from './shared.js';

export function anthropicStopReason(stop: string | undefined): AStopReason | null {
  switch (stop) {
    case undefined:
      return null;
    case 'end_turn':
    case 'stop_sequence':
    case 'max_tokens':
    case 'tool_use':
    case 'model_context_window_exceeded':
      return stop;
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Converse usage in Anthropic's terms: input excludes cache reads and writes in both. */
export function anthropicUsage(u: ConverseUsage | undefined): AnthropicUsage {
  return {
    input_tokens: u?.inputTokens ?? 0,
    output_tokens: u?.outputTokens ?? 0,
    cache_creation_input_tokens: u?.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: u?.cacheReadInputTokens ?? 0,
  };
}

export function messageId(id: ResponseIdentity): string {
  return `msg_bdrk_${id.id}`;
}

export function anthropicFromConverse(json: unknown, id: ResponseIdentity, model: string): { body: Message; usage: Usage } {
  const res = json as ConverseResponse;
  const content = res?.output?.message?.content;
  if (!Array.isArray(content)) throw new GatewayError('upstream_response_invalid', 'Bedrock Converse response has no output.message.content');
  const out: AContent[] = [];
  for (const b of content) {
    if ('text' in b) out.push({ type: 'text', text: b.text });
    else if ('toolUse' in b) out.push({ type: 'tool_use', id: b.toolUse.toolUseId, name: b.toolUse.name, input: b.toolUse.input ?? {} });
    else if ('reasoningContent' in b) {
      const r = b.reasoningContent;
      if (r.reasoningText) out.push({ type: 'thinking', thinking: r.reasoningText.text, signature: r.reasoningText.signature ?? '' });
      else if (r.redactedContent !== undefined) out.push({ type: 'redacted_thinking', data: r.redactedContent });
    }
  }
  const body: Message = {
    id: messageId(id),
    type: 'message',
    role: 'assistant',
    model,
    content: out,
    // Converse does not say which stop sequence matched.
    stop_reason: anthropicStopReason(res.stopReason),
    stop_sequence: null,
    usage: anthropicUsage(res.usage),
  };
  return { body, usage: fromConverseUsage(res.usage) ?? {} };
}

type BlockKind = 'text' | 'tool_use' | 'thinking' | 'redacted';

export class AnthropicEventWriter implements StreamRenderer {
  private seen: Usage = {};
  /** Converse content block index -> the Anthropic block opened for it (a redacted one holds its data until it stops). */
  private readonly open = new Map<number, { index: number; kind: BlockKind; data?: string }>();
  private nextIndex = 0;
  private stopReason: string | undefined;
  private stopped = false;
  private finished = false;
  private failed = false;

  constructor(
    private readonly id: ResponseIdentity,
    private readonly model: string,
  ) {}

  event(type: string, payload: unknown): string {
    switch (type) {
      case 'messageStart': {
        // Converse reports usage only at the end; message_delta carries the real counts.
        const message: Message = { id: messageId(this.id), type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(undefined) };
        return this.emit('message_start', { message });
      }
      case 'contentBlockStart': {
        const ev = payload as ContentBlockStartEvent;
        const tool = ev.start?.toolUse;
        if (!tool) return '';
        return this.start(ev.contentBlockIndex ?? 0, 'tool_use', { type: 'tool_use', id: tool.toolUseId, name: tool.name, input: {} });
      }
      case 'contentBlockDelta':
        return this.delta(payload as ContentBlockDeltaEvent);
      case 'contentBlockStop': {
        const block = (payload as { contentBlockIndex?: number }).contentBlockIndex ?? 0;
        return this.stop(block);
      }
      case 'messageStop': {
        this.stopped = true;
        this.stopReason = (payload as MessageStopEvent).stopReason;
        let out = '';
        for (const block of [...this.open.keys()]) out += this.stop(block);
        return out;
      }
      case 'metadata': {
        const ev = payload as MetadataEvent;
        this.seen = fromConverseUsage(ev.usage) ?? this.seen;
        return this.finish(ev.usage);
      }
      default:
        return '';
    }
  }

  exception(type: string, message: string): string {
    this.failed = true;
    return this.emit('error', anthropicError({ status: exceptionStatus(type), code: type, message }) as object);
  }

  end(cut: boolean): string {
    if (this.failed || this.finished) return '';
    if (this.stopped && !cut) return this.finish(undefined);
    const why = cut ? 'in the middle of an event' : 'before its messageStop event';
    return this.exception('internalServerException', `the Bedrock stream ended ${why}`);
  }

  usage(): Usage {
    return this.seen;
  }

  private delta(ev: ContentBlockDeltaEvent): string {
    const block = ev.contentBlockIndex ?? 0;
    const d = ev.delta ?? {};
    let out = '';
    if (typeof d.text === 'string') {
      out += this.ensure(block, 'text', { type: 'text', text: '' });
      return out + this.emit('content_block_delta', { index: this.open.get(block)!.index, delta: { type: 'text_delta', text: d.text } });
    }
    if (typeof d.toolUse?.input === 'string') {
      const open = this.open.get(block);
      if (!open) throw new GatewayError('upstream_response_invalid', `ConverseStream sent tool input for block ${block} before its contentBlockStart`);
      return this.emit('content_block_delta', { index: open.index, delta: { type: 'input_json_delta', partial_json: d.toolUse.input } });
    }
    const r = d.reasoningContent;
    if (typeof r?.redactedContent === 'string') {
      // Anthropic sends a redacted block whole in its content_block_start: the data is held
      // until Converse stops the block, in case it comes in more than one delta.
      const open = this.open.get(block);
      if (!open) this.open.set(block, { index: this.nextIndex++, kind: 'redacted', data: r.redactedContent });
      else if (open.kind === 'redacted') open.data += r.redactedContent;
      else throw new GatewayError('upstream_response_invalid', `ConverseStream sent redacted reasoning into block ${block}, which is no reasoning block`);
      return '';
    }
    if (typeof r?.text === 'string' || typeof r?.signature === 'string') {
      const kind = this.open.get(block)?.kind;
      if (kind !== undefined && kind !== 'thinking') throw new GatewayError('upstream_response_invalid', `ConverseStream sent reasoning text into block ${block}, which is a ${kind} block`);
      out += this.ensure(block, 'thinking', { type: 'thinking', thinking: '', signature: '' });
      const index = this.open.get(block)!.index;
      const delta = typeof r.text === 'string' ? { type: 'thinking_delta', thinking: r.text } : { type: 'signature_delta', signature: r.signature };
      return out + this.emit('content_block_delta', { index, delta });
    }
    return out;
  }

  /** Converse sends no contentBlockStart for text or reasoning: the first delta opens the block. */
  private ensure(block: number, kind: BlockKind, contentBlock: AContent): string {
    return this.open.has(block) ? '' : this.start(block, kind, contentBlock);
  }

  private start(block: number, kind: BlockKind, contentBlock: AContent): string {
    const index = this.nextIndex++;
    this.open.set(block, { index, kind });
    return this.emit('content_block_start', { index, content_block: contentBlock });
  }

  private stop(block: number): string {
    const open = this.open.get(block);
    if (!open) return '';
    this.open.delete(block);
    const start = open.kind === 'redacted' ? this.emit('content_block_start', { index: open.index, content_block: { type: 'redacted_thinking', data: open.data ?? '' } }) : '';
    return start + this.emit('content_block_stop', { index: open.index });
  }

  private finish(usage: ConverseUsage | undefined): string {
    if (this.finished) return '';
    this.finished = true;
    const delta = { stop_reason: anthropicStopReason(this.stopReason) ?? 'end_turn', stop_sequence: null };
    return this.emit('message_delta', { delta, usage: anthropicUsage(usage) }) + this.emit('message_stop', {});
  }

  private emit(type: string, data: object): string {
    return sseEvent(JSON.stringify({ type, ...data }), type);
  }
}
