// Anthropic dialect in, Anthropic out. The body passes untouched unless a backend
// or route pins the model; the response, plain or streamed, passes byte-identical
// while usage and the answering model are read from it on the way (the message
// body's usage, or message_start + message_delta events in a stream).
import type { AnthropicUsage } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../processor/errors.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { AnthropicEventReader } from './events.js';
import { anthropicHeaders } from './headers.js';
import { AnthropicUsageTracker } from './usage.js';

const MAX_USAGE_SCAN_BYTES = 32 * 1024 * 1024;

export class AnthropicSameDialect implements Translator {
  private readonly tracker = new AnthropicUsageTracker();
  private readonly reader = new AnthropicEventReader();
  private mode: 'plain' | 'stream' | 'skip' = 'skip';
  private plain: Buffer[] = [];
  private plainBytes = 0;

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const isCount = ctx.operation === 'other';
    const path = (isCount ? '/v1/messages/count_tokens' : '/v1/messages') + (ctx.query ? `?${ctx.query}` : '');
    const headers = anthropicHeaders(ctx);
    if (body === undefined) throw new GatewayError('invalid_json', 'a Messages request needs a JSON body');
    const obj = body as Record<string, unknown>;
    let changed = false;
    if (ctx.model !== undefined && obj.model !== ctx.model) {
      obj.model = ctx.model;
      changed = true;
    }
    if (typeof obj.model !== 'string' || obj.model === '') {
      throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    }
    // Token counting is not a generation: nothing to count in its answer.
    if (!isCount) this.mode = 'plain';
    return {
      path,
      body: changed ? Buffer.from(JSON.stringify(obj)) : undefined,
      model: obj.model,
      stream: obj.stream === true,
      ...headers,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const ok = status >= 200 && status < 300;
    const encoded = !['', 'identity'].includes((headers.get('content-encoding') ?? '').trim().toLowerCase());
    if (!ok || encoded) this.mode = 'skip';
    else if (this.mode === 'plain' && (headers.get('content-type') ?? '').includes('text/event-stream')) this.mode = 'stream';
    return { rewritesBody: false };
  }

  responseChunk(chunk: Buffer, end: boolean): undefined {
    try {
      if (this.mode === 'stream') {
        for (const { event } of this.reader.push(chunk, end)) this.tracker.observe(event);
      } else if (this.mode === 'plain') {
        if (this.plainBytes < MAX_USAGE_SCAN_BYTES) {
          this.plain.push(chunk);
          this.plainBytes += chunk.length;
        }
        if (end) this.scanPlain();
      }
    } catch {
      // The client gets the provider's bytes as they are; only counting stops.
      this.mode = 'skip';
    }
    return undefined;
  }

  usage(): Usage {
    return this.tracker.usage();
  }

  responseModel(): string | undefined {
    return this.tracker.model;
  }

  private scanPlain(): void {
    const text = Buffer.concat(this.plain).toString('utf8');
    this.plain = [];
    const parsed = JSON.parse(text) as { model?: unknown; id?: unknown; usage?: AnthropicUsage };
    if (parsed && typeof parsed === 'object') this.tracker.observeMessage(parsed);
  }
}
