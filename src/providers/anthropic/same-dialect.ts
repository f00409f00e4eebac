// Anthropic dialect in, Anthropic out. The body passes untouched unless a backend
// or route pins the model; the response, plain or streamed, passes byte-identical
// while usage and the answering model are read from it on the way (the message
// body's usage, or message_start + message_delta events in a stream).
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { anthropicHeaders } from './headers.js';
import { AnthropicResponseObserver, isEncoded } from './observer.js';

export class AnthropicSameDialect implements Translator {
  private readonly observer = new AnthropicResponseObserver();
  /** Token counting (count_tokens) is not a generation: nothing to count in its answer. */
  private counting = false;

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
    this.counting = !isCount;
    return {
      path,
      body: changed ? Buffer.from(JSON.stringify(obj)) : undefined,
      model: obj.model,
      stream: obj.stream === true,
      ...headers,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    if (this.counting && status >= 200 && status < 300 && !isEncoded(headers)) this.observer.watch(headers.get('content-type') ?? '');
    return { rewritesBody: false };
  }

  responseChunk(chunk: Buffer, end: boolean): undefined {
    this.observer.push(chunk, end);
    return undefined;
  }

  usage(): Usage {
    return this.observer.usage();
  }

  responseModel(): string | undefined {
    return this.observer.model;
  }

  progress(): ResponseProgress {
    return this.observer.progress;
  }
}
