// Anthropic's usage object -> the gateway's Usage, for plain bodies and streams.
// Anthropic's `input_tokens` excludes prompt-cache traffic: tokens read from the
// cache and tokens written to it are reported beside it, and both were input the
// model processed, so input = input + cache_creation + cache_read, of which the
// cache reads are the "cached input" (OpenAI's prompt_tokens_details.cached_tokens)
// and the cache writes the "cache write input".
import type { AnthropicUsage } from '../../dialects/anthropic/types.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { AnthropicEvent } from './events.js';

export function fromAnthropicUsage(u: AnthropicUsage | null | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const out: Usage = {};
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const input = num(u.input_tokens);
  const created = num(u.cache_creation_input_tokens);
  const read = num(u.cache_read_input_tokens);
  if (input !== undefined || created !== undefined || read !== undefined) out.inputTokens = (input ?? 0) + (created ?? 0) + (read ?? 0);
  const output = num(u.output_tokens);
  if (output !== undefined) out.outputTokens = output;
  if (read !== undefined) out.cachedInputTokens = read;
  if (created !== undefined) out.cacheWriteInputTokens = created;
  if (out.inputTokens !== undefined || out.outputTokens !== undefined) out.totalTokens = (out.inputTokens ?? 0) + (out.outputTokens ?? 0);
  return out;
}

/**
 * Follows usage, model and progress through a stream: message_start carries the input
 * side (and a placeholder output count, not reported: a stream cut before its
 * message_delta is estimated instead), each message_delta carries cumulative counts
 * that replace what came before, field by field, and message_stop ends the answer.
 */
export class AnthropicUsageTracker {
  readonly progress = new ResponseProgress();
  private raw: AnthropicUsage = {};
  private seen = false;
  private outputFinal = false;
  private modelName: string | undefined;
  private messageId: string | undefined;

  observe(ev: AnthropicEvent): void {
    switch (ev.type) {
      case 'message_start': {
        const msg = (ev as { message?: { id?: unknown; model?: unknown; usage?: AnthropicUsage } }).message;
        if (typeof msg?.model === 'string') this.modelName = msg.model;
        if (typeof msg?.id === 'string') this.messageId = msg.id;
        this.merge(msg?.usage);
        break;
      }
      case 'content_block_start': {
        const block = (ev as { content_block?: { type?: unknown; text?: unknown; input?: unknown } }).content_block;
        if (block?.type === 'text') this.progress.text(block.text);
        else if (block?.type === 'tool_use' && block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0) this.progress.text(JSON.stringify(block.input));
        break;
      }
      case 'content_block_delta': {
        const d = (ev as { delta?: { text?: unknown; partial_json?: unknown } }).delta;
        this.progress.text(d?.text ?? d?.partial_json);
        break;
      }
      case 'message_delta': {
        const e = ev as { usage?: AnthropicUsage; delta?: { stop_reason?: unknown } };
        this.progress.finish(e.delta?.stop_reason);
        this.outputFinal ||= typeof e.usage?.output_tokens === 'number';
        this.merge(e.usage);
        break;
      }
      case 'message_stop':
      case 'error':
        this.progress.markComplete();
        break;
    }
  }

  /** A whole (non-streamed) message body. */
  observeMessage(msg: { model?: unknown; id?: unknown; usage?: AnthropicUsage; content?: unknown; stop_reason?: unknown }): void {
    if (typeof msg.model === 'string') this.modelName = msg.model;
    if (typeof msg.id === 'string') this.messageId = msg.id;
    for (const block of Array.isArray(msg.content) ? (msg.content as { type?: unknown; text?: unknown; input?: unknown }[]) : []) {
      if (block?.type === 'text') this.progress.text(block.text);
      else if (block?.type === 'tool_use') this.progress.text(JSON.stringify(block.input ?? {}));
    }
    this.progress.finish(msg.stop_reason);
    this.outputFinal = true;
    this.merge(msg.usage);
    this.progress.markComplete();
  }

  private merge(u: AnthropicUsage | undefined): void {
    if (!u || typeof u !== 'object') return;
    this.seen = true;
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      if (typeof u[key] === 'number') this.raw[key] = u[key];
    }
  }

  usage(): Usage {
    if (!this.seen) return {};
    const u = fromAnthropicUsage(this.outputFinal ? this.raw : { ...this.raw, output_tokens: undefined }) ?? {};
    if (!this.outputFinal) delete u.totalTokens;
    return u;
  }

  /** The cumulative raw counts, for re-emitting them in another dialect. */
  rawUsage(): AnthropicUsage {
    return { ...this.raw };
  }

  get model(): string | undefined {
    return this.modelName;
  }

  get id(): string | undefined {
    return this.messageId;
  }
}
