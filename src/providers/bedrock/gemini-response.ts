// Bedrock Converse answers -> Gemini's shape: the plain response, and ConverseStream
// events re-emitted as streamGenerateContent SSE through the writer the Anthropic
// translator uses (gemini-parts.ts). Converse names neither the model nor the
// response: the model asked for answered, and Bedrock's request id is the responseId.
// An exception frame mid-stream becomes Google's error JSON outside the SSE framing.
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import type { Usage } from '../../usage/types.js';
import { type ClaudeBlock, type ClaudeCounts, generateContentResponse, geminiFinish, geminiParts, geminiUsage, GeminiStreamWriter } from '../anthropic/gemini-parts.js';
import type { StreamRenderer } from './base.js';
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ConverseResponse, ConverseUsage, MessageStopEvent, MetadataEvent } from './converse-types.js';
import { exceptionStatus, fromConverseUsage, type ResponseIdentity } from './shared.js';

function counts(u: ConverseUsage | undefined): ClaudeCounts {
  return { input: u?.inputTokens, output: u?.outputTokens, cacheRead: u?.cacheReadInputTokens, cacheWrite: u?.cacheWriteInputTokens };
}

/** `jsonTool`: the forced tool whose input is the JSON answer (responseMimeType application/json), returned as text. */
export function geminiFromConverse(json: unknown, id: ResponseIdentity, model: string, includeThoughts: boolean, jsonTool?: string): { body: GenerateContentResponse; usage: Usage } {
  const res = json as ConverseResponse;
  const content = res?.output?.message?.content;
  if (!Array.isArray(content)) throw new GatewayError('upstream_response_invalid', 'Bedrock Converse response has no output.message.content');
  const blocks: ClaudeBlock[] = [];
  for (const b of content) {
    if ('text' in b) blocks.push({ text: b.text });
    else if ('toolUse' in b && jsonTool !== undefined && b.toolUse.name === jsonTool) blocks.push({ text: JSON.stringify(b.toolUse.input ?? {}) });
    else if ('toolUse' in b) blocks.push({ call: { id: b.toolUse.toolUseId, name: b.toolUse.name, args: b.toolUse.input ?? {} } });
    else if ('reasoningContent' in b) {
      const r = b.reasoningContent;
      if (r.reasoningText) blocks.push({ thinking: { type: 'thinking', thinking: r.reasoningText.text, signature: r.reasoningText.signature ?? '' } });
      else if (r.redactedContent !== undefined) blocks.push({ thinking: { type: 'redacted_thinking', data: r.redactedContent } });
    }
  }
  const body = generateContentResponse(geminiParts(blocks, includeThoughts), geminiFinish(res.stopReason), geminiUsage(counts(res.usage)), { model, id: id.id });
  return { body, usage: fromConverseUsage(res.usage) ?? {} };
}

type Open = { kind: 'tool'; id: string; name: string; input: string } | { kind: 'thinking'; text: string; signature: string } | { kind: 'json' };

export class GeminiEventWriter implements StreamRenderer {
  private seen: Usage = {};
  private readonly writer: GeminiStreamWriter;
  private readonly open = new Map<number, Open>();
  private stopReason: string | undefined;
  private stopped = false;

  constructor(
    id: ResponseIdentity,
    model: string,
    includeThoughts: boolean,
    private readonly jsonTool?: string,
  ) {
    this.writer = new GeminiStreamWriter(includeThoughts);
    this.writer.stamp.model = model;
    this.writer.stamp.id = id.id;
  }

  event(type: string, payload: unknown): string {
    if (this.writer.done) return '';
    switch (type) {
      case 'contentBlockStart': {
        const ev = payload as ContentBlockStartEvent;
        const tool = ev.start?.toolUse;
        // The JSON answer's tool: its input fragments are the answer's text, sent as they come.
        if (tool && this.jsonTool !== undefined && tool.name === this.jsonTool) this.open.set(ev.contentBlockIndex ?? 0, { kind: 'json' });
        else if (tool) this.open.set(ev.contentBlockIndex ?? 0, { kind: 'tool', id: tool.toolUseId, name: tool.name, input: '' });
        return '';
      }
      case 'contentBlockDelta':
        return this.delta(payload as ContentBlockDeltaEvent);
      case 'contentBlockStop':
        return this.stop((payload as { contentBlockIndex?: number }).contentBlockIndex ?? 0);
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
        return this.writer.last(geminiFinish(this.stopReason), ev.usage ? geminiUsage(counts(ev.usage)) : undefined);
      }
      default:
        // messageStart says only the role.
        return '';
    }
  }

  exception(type: string, message: string): string {
    if (this.writer.done) return '';
    return this.writer.error(exceptionStatus(type), `${type}: ${message}`);
  }

  end(cut: boolean): string {
    if (this.writer.done) return '';
    // A stream that stopped but sent no metadata event: the answer is whole, its usage unknown.
    if (this.stopped && !cut) return this.writer.last(geminiFinish(this.stopReason), undefined);
    const why = cut ? 'in the middle of an event' : 'before its messageStop event';
    return this.exception('internalServerException', `the Bedrock stream ended ${why}`);
  }

  usage(): Usage {
    return this.seen;
  }

  private delta(ev: ContentBlockDeltaEvent): string {
    const block = ev.contentBlockIndex ?? 0;
    const d = ev.delta ?? {};
    if (typeof d.text === 'string') return this.writer.text(d.text);
    if (typeof d.toolUse?.input === 'string') {
      const open = this.open.get(block);
      if (open?.kind === 'json') return this.writer.text(d.toolUse.input);
      if (open?.kind !== 'tool') throw new GatewayError('upstream_response_invalid', `ConverseStream sent tool input for block ${block} before its contentBlockStart`);
      open.input += d.toolUse.input;
      return '';
    }
    const r = d.reasoningContent;
    if (r?.redactedContent !== undefined) {
      this.writer.carry({ type: 'redacted_thinking', data: r.redactedContent });
      return '';
    }
    if (typeof r?.text === 'string' || typeof r?.signature === 'string') {
      // Converse sends no contentBlockStart for reasoning: the first delta opens it.
      let open = this.open.get(block);
      if (!open) {
        open = { kind: 'thinking', text: '', signature: '' };
        this.open.set(block, open);
      }
      if (open.kind !== 'thinking') return '';
      if (typeof r.signature === 'string') open.signature += r.signature;
      if (typeof r.text === 'string') {
        open.text += r.text;
        return this.writer.thought(r.text);
      }
    }
    return '';
  }

  private stop(block: number): string {
    const open = this.open.get(block);
    this.open.delete(block);
    if (open?.kind === 'tool') return this.writer.functionCall(open.id, open.name, open.input);
    if (open?.kind === 'thinking') this.writer.carry({ type: 'thinking', thinking: open.text, signature: open.signature });
    return '';
  }
}
