// Anthropic's usage object -> the gateway's Usage, for plain bodies and streams.
// Anthropic's `input_tokens` excludes prompt-cache traffic: tokens read from the
// cache and tokens written to it are reported beside it, and both were input the
// model processed, so input = input + cache_creation + cache_read, of which the
// cache reads are the "cached input" (OpenAI's prompt_tokens_details.cached_tokens).
import type { AnthropicUsage } from '../../dialects/anthropic/types.js';
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
  if (out.inputTokens !== undefined || out.outputTokens !== undefined) out.totalTokens = (out.inputTokens ?? 0) + (out.outputTokens ?? 0);
  return out;
}

/**
 * Follows usage and model through a stream: message_start carries the input side
 * (and a provisional output count), each message_delta carries cumulative counts
 * that replace what came before, field by field.
 */
export class AnthropicUsageTracker {
  private raw: AnthropicUsage = {};
  private seen = false;
  private modelName: string | undefined;
  private messageId: string | undefined;

  observe(ev: AnthropicEvent): void {
    if (ev.type === 'message_start') {
      const msg = (ev as { message?: { id?: unknown; model?: unknown; usage?: AnthropicUsage } }).message;
      if (typeof msg?.model === 'string') this.modelName = msg.model;
      if (typeof msg?.id === 'string') this.messageId = msg.id;
      this.merge(msg?.usage);
    } else if (ev.type === 'message_delta') {
      this.merge((ev as { usage?: AnthropicUsage }).usage);
    }
  }

  /** A whole (non-streamed) message body. */
  observeMessage(msg: { model?: unknown; id?: unknown; usage?: AnthropicUsage }): void {
    if (typeof msg.model === 'string') this.modelName = msg.model;
    if (typeof msg.id === 'string') this.messageId = msg.id;
    this.merge(msg.usage);
  }

  private merge(u: AnthropicUsage | undefined): void {
    if (!u || typeof u !== 'object') return;
    this.seen = true;
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      if (typeof u[key] === 'number') this.raw[key] = u[key];
    }
  }

  usage(): Usage {
    return this.seen ? (fromAnthropicUsage(this.raw) ?? {}) : {};
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
