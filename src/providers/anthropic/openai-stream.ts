// Anthropic stream events -> OpenAI chat.completion.chunk SSE, one event at a time.
// Text deltas become `content` deltas; each tool_use block becomes one entry of
// `tool_calls`, numbered in order of appearance (OpenAI's `index`), whose
// input_json_delta fragments stream on as `function.arguments` fragments. The
// message id (`msg_…`) is the chunk id, as OpenAI clients group chunks by it.
// thinking_delta text goes out as `reasoning_content` deltas only with `reasoning` set
// (the Responses adapter over Claude on Vertex); Chat Completions has no field for it.
// Takes parsed events, not bytes, so providers with other framing (Bedrock's
// eventstream) can feed it too.
import type { ContentBlockDeltaEvent, ContentBlockStartEvent, ErrorEvent, MessageDeltaEvent, MessageStartEvent } from '../../dialects/anthropic/types.js';
import type { ChatCompletionChunk } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { AnthropicEvent } from './events.js';
import { openAIErrorObject, toOpenAIUsage } from './openai-response.js';
import { toOpenAIFinishReason } from './stop-reasons.js';
import { AnthropicUsageTracker } from './usage.js';

type Delta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: string };

export interface OpenAIStreamOptions {
  /** The client asked for `stream_options.include_usage`: send the usage-only chunk. */
  includeUsage: boolean;
  /** Unix seconds for every chunk's `created` (Anthropic streams carry no timestamp). */
  created: number;
  /** Write thinking deltas as reasoning_content (for the Responses adapter only). */
  reasoning?: boolean;
}

export class AnthropicToOpenAIStream {
  private readonly tracker = new AnthropicUsageTracker();
  private readonly toolIndex = new Map<number, number>();
  private state: 'before' | 'open' | 'done' = 'before';
  private id = '';
  private model = '';

  constructor(private readonly opts: OpenAIStreamOptions) {}

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
      case 'message_delta': {
        this.requireStarted(ev.type);
        const finish = toOpenAIFinishReason((ev as MessageDeltaEvent).delta?.stop_reason);
        return finish ? this.chunk({}, finish) : '';
      }
      case 'message_stop':
        return this.stop();
      case 'error': {
        // OpenAI streams report a failure as a data event holding an error object; the SDKs raise it.
        this.state = 'done';
        const err = (ev as ErrorEvent).error ?? { type: 'api_error', message: 'stream error' };
        return sseEvent(JSON.stringify(openAIErrorObject(err.type, err.message)));
      }
      default:
        // ping, content_block_stop, and event types newer than this gateway: nothing to say.
        return '';
    }
  }

  /** The upstream body ended: a stream that never reached message_stop was cut short. */
  end(): string {
    if (this.state !== 'done') {
      throw new GatewayError('upstream_response_invalid', 'the provider stream ended before its message_stop event');
    }
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

  private start(ev: MessageStartEvent): string {
    this.state = 'open';
    this.id = ev.message?.id ?? '';
    this.model = ev.message?.model ?? '';
    return this.chunk({ role: 'assistant', content: '' });
  }

  private blockStart(ev: ContentBlockStartEvent): string {
    this.requireStarted(ev.type);
    const block = ev.content_block as { type: string; text?: unknown; id?: unknown; name?: unknown; input?: unknown };
    if (block.type === 'text') return typeof block.text === 'string' && block.text !== '' ? this.chunk({ content: block.text }) : '';
    if (block.type !== 'tool_use') return '';
    const index = this.toolIndex.size;
    this.toolIndex.set(ev.index, index);
    // Streams start tool_use with input {} and send the JSON as deltas; a non-empty input is sent whole.
    const input = block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
    return this.chunk({ tool_calls: [{ index, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: input } }] });
  }

  private blockDelta(ev: ContentBlockDeltaEvent): string {
    this.requireStarted(ev.type);
    const d = ev.delta as { type: string; text?: unknown; partial_json?: unknown; thinking?: unknown };
    if (d.type === 'text_delta' && typeof d.text === 'string') return this.chunk({ content: d.text });
    if (d.type === 'thinking_delta' && this.opts.reasoning && typeof d.thinking === 'string' && d.thinking !== '') return this.chunk({ reasoning_content: d.thinking });
    if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
      const index = this.toolIndex.get(ev.index);
      if (index === undefined) throw new GatewayError('upstream_response_invalid', `the provider sent tool input for block ${ev.index}, which is no tool_use block`);
      return this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
    }
    // signature/citations deltas (and thinking, but for the Responses adapter): Chat Completions has no place for them.
    return '';
  }

  private stop(): string {
    this.requireStarted('message_stop');
    this.state = 'done';
    let out = '';
    if (this.opts.includeUsage) {
      const usage = toOpenAIUsage(this.tracker.rawUsage());
      out += sseEvent(JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.opts.created, model: this.model, choices: [], usage }));
    }
    return out + sseEvent('[DONE]');
  }

  private requireStarted(type: string): void {
    if (this.state === 'before') throw new GatewayError('upstream_response_invalid', `the provider stream sent ${type} before message_start`);
  }

  private chunk(delta: Delta, finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): string {
    const c: ChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.opts.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    return sseEvent(JSON.stringify(c));
  }
}
