// OpenAI chat.completion.chunk SSE -> Anthropic's Messages event sequence:
// message_start, then per content block content_block_start / _delta / _stop
// (text as text_delta, each tool call as a tool_use block whose argument
// fragments are input_json_delta), then message_delta (stop_reason and usage)
// and message_stop. OpenAI sends usage after the finish_reason chunk, so the
// message_delta waits for the end of the stream ([DONE]).
import type { AnthropicUsage, ContentBlock } from '../../dialects/anthropic/types.js';
import type { ChatCompletionChunk, ChatUsage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { SseParser, sseEvent } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { toAnthropicStopReason } from '../anthropic/stop-reasons.js';
import { anthropicErrorBody, reasoningText, toAnthropicUsage } from './from-anthropic-response.js';
import { fromOpenAIUsage } from './usage.js';

type ChunkDelta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: unknown; reasoning?: unknown };
type BlockKind = 'text' | 'thinking' | 'tool';

export class OpenAIToAnthropicStream {
  readonly progress = new ResponseProgress();
  private readonly sse = new SseParser();
  private state: 'before' | 'open' | 'done' = 'before';
  /** The open content block, if any: Anthropic streams one block at a time. */
  private open: { kind: BlockKind; index: number; tool?: number } | undefined;
  private nextIndex = 0;
  /** OpenAI tool_calls index -> Anthropic content block index. */
  private readonly tools = new Map<number, number>();
  private stopReason: string | null = null;
  private rawUsage: ChatUsage | undefined;
  private model: string | undefined;

  /** Feeds upstream bytes; returns the Anthropic SSE text they complete. */
  push(chunk: Uint8Array, end: boolean): string {
    const events = this.sse.push(chunk, end);
    let out = '';
    for (const ev of events) if (ev.data !== undefined) out += this.data(ev.data);
    if (end && this.state !== 'done') {
      // Some compatible servers end without [DONE]; a stream that never finished is cut short.
      if (this.stopReason === null) throw new GatewayError('upstream_response_invalid', 'the provider stream ended before its last chunk');
      out += this.finish();
    }
    return out;
  }

  usage(): Usage {
    return fromOpenAIUsage(this.rawUsage) ?? {};
  }

  get responseModel(): string | undefined {
    return this.model;
  }

  private data(data: string): string {
    if (this.state === 'done') return '';
    if (data.trim() === '[DONE]') return this.state === 'before' ? this.fail('the provider stream ended before any chunk') : this.finish();
    let chunk: ChatCompletionChunk & { error?: { message?: unknown; type?: unknown } };
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new GatewayError('upstream_response_invalid', 'the provider sent a stream chunk that is not JSON');
    }
    if (chunk.error) {
      this.state = 'done';
      this.progress.markComplete();
      const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'stream error';
      return sseEvent(JSON.stringify(anthropicErrorBody('api_error', message)), 'error');
    }
    // Azure opens with a content-filter chunk that has no id, model or choices: not the message yet.
    if (this.state === 'before' && !chunk.choices?.length && !chunk.usage) return '';
    let out = '';
    if (this.state === 'before') out += this.start(chunk);
    if (chunk.usage) this.rawUsage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = (choice.delta ?? {}) as ChunkDelta;
    const reasoning = reasoningText(delta);
    if (reasoning) out += this.ensure('thinking', { type: 'thinking', thinking: '', signature: '' }) + this.delta({ type: 'thinking_delta', thinking: reasoning });
    const text = (delta.content ?? '') + (delta.refusal ?? '');
    this.progress.text(text);
    if (text !== '') out += this.ensure('text', { type: 'text', text: '' }) + this.delta({ type: 'text_delta', text });
    for (const tc of delta.tool_calls ?? []) out += this.toolDelta(tc);
    if (choice.finish_reason) {
      this.progress.finish(choice.finish_reason);
      out += this.closeBlock();
      this.stopReason = toAnthropicStopReason(choice.finish_reason);
    }
    return out;
  }

  private start(chunk: ChatCompletionChunk): string {
    this.state = 'open';
    this.model = chunk.model;
    const message = {
      id: chunk.id,
      type: 'message',
      role: 'assistant',
      model: chunk.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Known only at the end; message_delta carries the real counts.
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return this.event('message_start', { message });
  }

  private toolDelta(tc: NonNullable<ChunkDelta['tool_calls']>[number]): string {
    let out = '';
    // Some compatible servers leave out `index`: then an id starts a call and other fragments continue the last.
    const key = typeof tc.index === 'number' ? tc.index : tc.id ? this.tools.size : Math.max(0, this.tools.size - 1);
    let index = this.tools.get(key);
    if (index === undefined) {
      out += this.closeBlock();
      index = this.nextIndex++;
      this.tools.set(key, index);
      this.open = { kind: 'tool', index, tool: key };
      out += this.event('content_block_start', { index, content_block: { type: 'tool_use', id: tc.id ?? '', name: tc.function?.name ?? '', input: {} } });
    }
    const args = tc.function?.arguments;
    this.progress.text(args);
    // A late fragment of an earlier call still names that call's block: the SDKs accumulate by index.
    if (args) out += this.event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
    return out;
  }

  /** Opens a block of this kind unless one is open already. */
  private ensure(kind: Exclude<BlockKind, 'tool'>, block: ContentBlock): string {
    if (this.open?.kind === kind) return '';
    const out = this.closeBlock();
    const index = this.nextIndex++;
    this.open = { kind, index };
    return out + this.event('content_block_start', { index, content_block: block });
  }

  private delta(delta: Record<string, unknown>): string {
    return this.event('content_block_delta', { index: this.open!.index, delta });
  }

  private closeBlock(): string {
    if (!this.open) return '';
    const { index } = this.open;
    this.open = undefined;
    return this.event('content_block_stop', { index });
  }

  private finish(): string {
    this.state = 'done';
    this.progress.markComplete();
    const usage: AnthropicUsage = toAnthropicUsage(this.rawUsage);
    return (
      this.closeBlock() +
      this.event('message_delta', { delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null }, usage }) +
      this.event('message_stop', {})
    );
  }

  private fail(why: string): never {
    throw new GatewayError('upstream_response_invalid', why);
  }

  private event(type: string, body: Record<string, unknown>): string {
    return sseEvent(JSON.stringify({ type, ...body }), type);
  }
}
