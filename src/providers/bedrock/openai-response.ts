// Bedrock Converse answers -> OpenAI Chat Completions: the plain response, and the
// ConverseStream events re-emitted as chat.completion.chunk SSE, ending with
// `data: [DONE]` as soon as the closing metadata event arrives. A usage chunk
// (choices: []) is sent only when the client asked for stream_options.include_usage;
// usage is recorded for metadata regardless. Claude's reasoningContent text has no place
// in a Chat Completions message: it is written, as `reasoning_content` on the message or
// the delta, only with `reasoning` set (the Responses adapter, which makes reasoning items
// of it); its signature and redacted blocks never are.
import { openAIError } from '../../dialects/openai/index.js';
import type { ChatCompletion, ChatCompletionChunk, ChatToolCall, ChatUsage, FinishReason } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import type { StreamRenderer } from './base.js';
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ConverseResponse, ConverseUsage, MessageStopEvent, MetadataEvent } from './converse-types.js';
import { exceptionStatus, fromConverseUsage, type ResponseIdentity } from './shared.js';

export function finishReason(stop: string | undefined, jsonTool: boolean): FinishReason | null {
  switch (stop) {
    case undefined:
      return null;
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      // The JSON tool trick: the tool call *is* the answer.
      return jsonTool ? 'stop' : 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function chatUsage(u: ConverseUsage | undefined): ChatUsage | undefined {
  const usage = fromConverseUsage(u);
  if (!usage) return undefined;
  const out: ChatUsage = { prompt_tokens: usage.inputTokens ?? 0, completion_tokens: usage.outputTokens ?? 0, total_tokens: usage.totalTokens ?? 0 };
  if (usage.cachedInputTokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  return out;
}

/** @param reasoning write reasoningContent text as the message's reasoning_content (for the Responses adapter only) */
export function openAIFromConverse(json: unknown, id: ResponseIdentity, model: string, jsonTool: string | undefined, reasoning = false): { body: ChatCompletion; usage: Usage } {
  const res = json as ConverseResponse;
  const content = res?.output?.message?.content;
  if (!Array.isArray(content)) throw new GatewayError('upstream_response_invalid', 'Bedrock Converse response has no output.message.content');
  let text: string | null = null;
  let thinking = '';
  const toolCalls: ChatToolCall[] = [];
  for (const block of content) {
    if ('text' in block) text = (text ?? '') + block.text;
    else if ('toolUse' in block) {
      const args = JSON.stringify(block.toolUse.input ?? {});
      if (jsonTool && block.toolUse.name === jsonTool) text = (text ?? '') + args;
      else toolCalls.push({ id: block.toolUse.toolUseId, type: 'function', function: { name: block.toolUse.name, arguments: args } });
    }
    else if ('reasoningContent' in block && typeof block.reasoningContent?.reasoningText?.text === 'string') thinking += block.reasoningContent.reasoningText.text;
  }
  const message: ChatCompletion['choices'][number]['message'] & { reasoning_content?: string } = { role: 'assistant', content: text, refusal: null };
  if (reasoning && thinking !== '') message.reasoning_content = thinking;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const body: ChatCompletion = {
    id: `chatcmpl-${id.id}`,
    object: 'chat.completion',
    created: id.created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(res.stopReason, jsonTool !== undefined) }],
  };
  const usage = chatUsage(res.usage);
  if (usage) body.usage = usage;
  return { body, usage: fromConverseUsage(res.usage) ?? {} };
}

type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string };

export class OpenAIChunkWriter implements StreamRenderer {
  private seen: Usage = {};
  /** Converse content block index -> OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>();
  /** Blocks that are the JSON tool trick's answer: their input deltas become content. */
  private readonly jsonBlocks = new Set<number>();
  private stopped = false;
  private failed = false;
  /** [DONE] went out: the metadata event closes ConverseStream, so the client need not wait for the body's end. */
  private done = false;

  constructor(
    private readonly id: ResponseIdentity,
    private readonly model: string,
    private readonly includeUsage: boolean,
    private readonly jsonTool: string | undefined,
    /** Write reasoningContent text deltas as reasoning_content (for the Responses adapter only). */
    private readonly reasoning = false,
  ) {}

  event(type: string, payload: unknown): string {
    switch (type) {
      case 'messageStart':
        return this.chunk({ role: 'assistant', content: '' });
      case 'contentBlockStart': {
        const ev = payload as ContentBlockStartEvent;
        const tool = ev.start?.toolUse;
        if (!tool) return '';
        const block = ev.contentBlockIndex ?? 0;
        if (this.jsonTool && tool.name === this.jsonTool) {
          this.jsonBlocks.add(block);
          return '';
        }
        const index = this.toolIndex.size;
        this.toolIndex.set(block, index);
        return this.chunk({ tool_calls: [{ index, id: tool.toolUseId, type: 'function', function: { name: tool.name, arguments: '' } }] });
      }
      case 'contentBlockDelta': {
        const ev = payload as ContentBlockDeltaEvent;
        const block = ev.contentBlockIndex ?? 0;
        if (typeof ev.delta?.text === 'string') return this.chunk({ content: ev.delta.text });
        const thinking = ev.delta?.reasoningContent?.text;
        if (typeof thinking === 'string') return this.reasoning && thinking !== '' ? this.chunk({ reasoning_content: thinking }) : '';
        const input = ev.delta?.toolUse?.input;
        if (typeof input !== 'string') return '';
        if (this.jsonBlocks.has(block)) return this.chunk({ content: input });
        const index = this.toolIndex.get(block);
        if (index === undefined) throw new GatewayError('upstream_response_invalid', `ConverseStream sent tool input for block ${block} before its contentBlockStart`);
        return this.chunk({ tool_calls: [{ index, function: { arguments: input } }] });
      }
      case 'messageStop': {
        this.stopped = true;
        const ev = payload as MessageStopEvent;
        return this.chunk({}, finishReason(ev.stopReason, this.jsonTool !== undefined) ?? 'stop');
      }
      case 'metadata': {
        const ev = payload as MetadataEvent;
        this.seen = fromConverseUsage(ev.usage) ?? this.seen;
        const usage = chatUsage(ev.usage);
        const usageChunk = this.includeUsage && usage ? sseEvent(JSON.stringify({ ...this.base(), choices: [], usage })) : '';
        if (!this.stopped) return usageChunk;
        this.done = true;
        return `${usageChunk}data: [DONE]\n\n`;
      }
      default:
        // contentBlockStop and events added later carry nothing a chunk can say.
        return '';
    }
  }

  exception(type: string, message: string): string {
    this.failed = true;
    // OpenAI's SDKs raise an APIError for a `data: {"error": ...}` event.
    return sseEvent(JSON.stringify(openAIError({ status: exceptionStatus(type), code: type, message })));
  }

  end(cut: boolean): string {
    if (this.done) return '';
    let out = '';
    if (!this.stopped && !this.failed) {
      const why = cut ? 'in the middle of an event' : 'before its messageStop event';
      out += this.exception('internalServerException', `the Bedrock stream ended ${why}`);
    }
    return `${out}data: [DONE]\n\n`;
  }

  usage(): Usage {
    return this.seen;
  }

  private base() {
    return { id: `chatcmpl-${this.id.id}`, object: 'chat.completion.chunk' as const, created: this.id.created, model: this.model };
  }

  private chunk(delta: Delta, finish: FinishReason | null = null): string {
    const c: ChatCompletionChunk = { ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    return sseEvent(JSON.stringify(c));
  }
}
