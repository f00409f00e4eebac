// OpenAI dialect in, OpenAI (or a compatible server) out. Bodies pass untouched
// unless something must change: the model (a backend or route pins it) or, for
// streams, `stream_options.include_usage` so every streamed token is counted. The
// usage-only chunk that this adds is removed again for a client that did not ask.
import { GatewayError } from '../../errors.js';
import { ResponseProgress } from '../../usage/progress.js';
import { SseParser, type SseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { withBasePath } from '../shared/base-path.js';
import { fromOpenAIUsage } from './usage.js';

const UPSTREAM_PATH: Partial<Record<TranslationContext['operation'], string>> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
};

const MAX_USAGE_SCAN_BYTES = 32 * 1024 * 1024;

/** For OpenAI-compatible servers that route by path (Azure OpenAI deployments). */
export interface SameDialectHooks {
  /** Full upstream path with query, replacing OpenAI's /v1/... paths. */
  path?: string;
  /** The path names the model (deployment), so a body without one is fine. */
  modelOptional?: boolean;
}

export class OpenAISameDialect implements Translator {
  private stripUsageChunk = false;
  private streaming = false;
  private rewrites = false;
  /** The last chunk ended where an event did: nothing of a later event was let through. */
  private aligned = true;
  private readonly sse = new SseParser();
  private readonly plain: Buffer[] = [];
  private plainBytes = 0;
  private seenUsage: Usage = {};
  private model: string | undefined;
  /** Stream event payloads, kept (by reference) in case usage never arrives and must be estimated. */
  private readonly streamData: string[] = [];
  private plainText: string | undefined;
  private readonly answer = new ResponseProgress(() => (this.streaming ? streamText(this.streamData) : this.plainText));

  constructor(
    private readonly ctx: TranslationContext,
    private readonly hooks: SameDialectHooks = {},
  ) {}

  request(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const path = this.hooks.path ?? withBasePath(ctx.backend, UPSTREAM_PATH[ctx.operation] ?? ctx.path) + (ctx.query ? `?${ctx.query}` : '');
    if (body === undefined) return { path, stream: false, model: ctx.model };
    const obj = body as Record<string, unknown>;
    let changed = false;
    if (ctx.model !== undefined && obj.model !== ctx.model) {
      obj.model = ctx.model;
      changed = true;
    }
    if (!this.hooks.modelOptional && UPSTREAM_PATH[ctx.operation] && (typeof obj.model !== 'string' || obj.model === '')) {
      throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    }
    const stream = obj.stream === true;
    if (stream && (ctx.operation === 'chat' || ctx.operation === 'completions')) {
      const opts = (obj.stream_options ?? {}) as Record<string, unknown>;
      if (opts.include_usage !== true) {
        obj.stream_options = { ...opts, include_usage: true };
        this.stripUsageChunk = true;
        changed = true;
      }
    }
    return {
      path,
      body: changed ? Buffer.from(JSON.stringify(obj)) : undefined,
      model: typeof obj.model === 'string' ? obj.model : undefined,
      stream,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.streaming = status >= 200 && status < 300 && (headers.get('content-type') ?? '').includes('text/event-stream');
    this.rewrites = this.streaming && this.stripUsageChunk;
    return { rewritesBody: this.rewrites };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    if (!this.streaming) {
      if (this.plainBytes < MAX_USAGE_SCAN_BYTES) {
        this.plain.push(chunk);
        this.plainBytes += chunk.length;
      }
      if (end) this.scanPlain();
      return undefined;
    }
    const events = this.sse.push(chunk, end);
    let dropped: SseEvent | undefined;
    for (const ev of events) {
      if (ev.data && this.streamData.length < 100_000) this.streamData.push(ev.data);
      if (this.observe(ev.data) === 'drop') dropped = ev;
    }
    if (!this.rewrites) return undefined;
    // A chunk of whole events, none of them dropped, after a chunk that also ended on an
    // event's end, goes on as it came: no copy of every event (and of its bytes over gRPC)
    // just to take out the usage chunk at the end. A chunk that ends inside an event is
    // rewritten to its whole events; the rest waits for the next.
    const aligned = end || (this.sse.pending === 0 && endsAnEvent(chunk));
    const unchanged = !dropped && this.aligned && aligned;
    this.aligned = aligned;
    if (unchanged) return undefined;
    let out = '';
    for (const ev of events) if (ev !== dropped) out += ev.raw;
    return Buffer.from(out);
  }

  usage(): Usage {
    return this.seenUsage;
  }

  responseModel(): string | undefined {
    return this.model;
  }

  progress(): ResponseProgress {
    return this.answer;
  }

  /**
   * Reads model, usage and finish reasons from one stream event; says whether it is the
   * usage-only chunk. The usage chunk is the last before [DONE]: the answer is complete there.
   */
  private observe(data: string | undefined): 'keep' | 'drop' {
    if (!data) return 'keep';
    if (data === '[DONE]') {
      this.answer.markComplete();
      return 'keep';
    }
    const wantModel = this.model === undefined;
    // Every chunk of a stream with include_usage says "usage":null: only a usage object counts.
    if (!wantModel && !hasUsageObject(data) && !data.includes('"finish_reason":"')) return 'keep';
    let parsed: { model?: unknown; usage?: unknown; choices?: { finish_reason?: unknown }[] };
    try {
      parsed = JSON.parse(data);
    } catch {
      return 'keep';
    }
    // Azure's first chunk (prompt filter results) carries model "": not an answer.
    if (typeof parsed.model === 'string' && parsed.model !== '') this.model ??= parsed.model;
    if (Array.isArray(parsed.choices)) for (const c of parsed.choices) this.answer.finish(c?.finish_reason);
    const usage = fromOpenAIUsage(parsed.usage as never);
    if (usage) this.seenUsage = usage;
    const usageOnly = usage !== undefined && Array.isArray(parsed.choices) && parsed.choices.length === 0;
    if (usageOnly) this.answer.markComplete();
    return usageOnly ? 'drop' : 'keep';
  }

  private scanPlain(): void {
    const text = Buffer.concat(this.plain).toString('utf8');
    this.plain.length = 0;
    try {
      const parsed = JSON.parse(text) as { model?: unknown; usage?: unknown; choices?: PlainChoice[] };
      if (typeof parsed.model === 'string') this.model = parsed.model;
      // Embeddings have no choices and nothing generated: leave output unknown, not estimated.
      if (Array.isArray(parsed.choices)) {
        this.plainText = parsed.choices.map(messageText).join('');
        for (const c of parsed.choices) this.answer.finish(c?.finish_reason);
      }
      this.seenUsage = fromOpenAIUsage(parsed.usage as never) ?? {};
      this.answer.markComplete();
    } catch {
      // Not JSON (an upstream error page, a cut body): nothing to count, body untouched.
    }
  }
}

/** Whether an event's JSON has a "usage" key holding an object (not null), without parsing it. */
export function hasUsageObject(data: string): boolean {
  for (let at = data.indexOf('"usage"'); at !== -1; at = data.indexOf('"usage"', at + 7)) {
    let i = skipSpace(data, at + 7);
    if (data.charCodeAt(i) !== 58 /* : */) continue;
    i = skipSpace(data, i + 1);
    if (data.charCodeAt(i) === 123 /* { */) return true;
  }
  return false;
}

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = s.charCodeAt(++i));
  return i;
}

type PlainChoice = { message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] }; text?: unknown; finish_reason?: unknown };

function messageText(c: PlainChoice): string {
  let text = typeof c.message?.content === 'string' ? c.message.content : typeof c.text === 'string' ? c.text : '';
  for (const t of c.message?.tool_calls ?? []) if (typeof t?.function?.arguments === 'string') text += t.function.arguments;
  return text;
}

/** The content and tool-call arguments of chat.completion.chunk events, parsed only when an estimate needs them. */
function streamText(events: readonly string[]): string {
  let text = '';
  for (const data of events) {
    if (data === '[DONE]') continue;
    try {
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string | null; tool_calls?: { function?: { arguments?: string } }[] }; text?: string }[] };
      for (const c of chunk.choices ?? []) {
        text += c.delta?.content ?? c.text ?? '';
        for (const t of c.delta?.tool_calls ?? []) text += t.function?.arguments ?? '';
      }
    } catch {
      // A cut-off last event: count what parsed.
    }
  }
  return text;
}

/**
 * With the parser holding nothing, a chunk that ends in a line break ended exactly where an
 * event did (a chunk ending inside a UTF-8 character would leave bytes in the decoder).
 */
function endsAnEvent(chunk: Uint8Array): boolean {
  const last = chunk[chunk.length - 1];
  return last === 0x0a || last === 0x0d;
}
