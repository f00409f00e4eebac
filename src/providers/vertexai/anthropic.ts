// Claude on Vertex AI: the Anthropic Messages body without `model` (the path names
// it) and with `anthropic_version: vertex-2023-10-16`, POSTed to :rawPredict or
// :streamRawPredict. Answers are Anthropic's own format, so the Anthropic
// provider's readers do the response side. Errors may come from Google's front
// door (AIP-193 JSON) rather than from Claude: both are put in the client's shape.
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import { anthropicError } from '../../dialects/anthropic/index.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { AnthropicResponseObserver, AnthropicToOpenAIResponse, isEncoded, toAnthropicRequest } from '../anthropic/index.js';
import { BodyCollector } from '../shared/body.js';
import { googleErrorToOpenAI, parseGoogleError } from '../gemini/errors.js';
import { requireModel } from '../gemini/target.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { modelPath } from './target.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** Vertex reads the API version from the body; the header is Anthropic's own API's. */
const REMOVE = ['accept-encoding', 'anthropic-version'];

function claudePath(ctx: TranslationContext, model: string, stream: boolean): string {
  return `${modelPath(ctx.options, 'anthropic', model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`;
}

function isGoogleError(body: Buffer): boolean {
  return typeof parseGoogleError(body.toString('utf8'))?.status === 'string';
}

/** Anthropic dialect in, Claude on Vertex out: the body moves, the answer passes untouched. */
export class VertexClaudeFromAnthropic implements Translator {
  private errorBody = false;
  private readonly observer = new AnthropicResponseObserver();
  private readonly collector = new BodyCollector();
  private status = 0;

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a Messages request needs a JSON body');
    const { model: clientModel, ...rest } = body as Record<string, unknown>;
    const model = requireModel(this.ctx, clientModel);
    const stream = rest.stream === true;
    const out = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
    return { path: claudePath(this.ctx, model, stream), body: Buffer.from(JSON.stringify(out)), removeHeaders: REMOVE, model, stream };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    // Google's front door may answer errors in its own shape: those get rewritten.
    this.errorBody = !ok && !isEncoded(headers);
    if (ok && !isEncoded(headers)) this.observer.watch(headers.get('content-type') ?? '');
    return { rewritesBody: this.errorBody };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    if (this.errorBody) {
      const whole = this.collector.push(chunk, end);
      if (!whole) return Buffer.alloc(0);
      if (!isGoogleError(whole)) return whole;
      const e = parseGoogleError(whole.toString('utf8'))!;
      return Buffer.from(JSON.stringify(anthropicError({ status: this.status, code: e.status ?? 'upstream_error', message: e.message ?? '' })));
    }
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

/**
 * OpenAI chat in, Claude on Vertex out: the Anthropic provider's mapping with Vertex's body
 * rules. Also the chat translation under the Responses adapter (shared/responses-over-chat.ts).
 */
export class VertexClaudeFromOpenAI implements Translator {
  private response = new AnthropicToOpenAIResponse({ includeUsage: false });
  private googleError: { status: number; collector: BodyCollector } | undefined;
  /**
   * Claude's thinking text is written (as reasoning_content) only for the Responses adapter,
   * which turns it into reasoning items: Chat Completions has no field for it, and its
   * clients' answers stay exactly what they were.
   */
  private readonly reasoning: boolean;

  constructor(private readonly ctx: TranslationContext) {
    this.reasoning = ctx.operation === 'responses';
  }

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a chat completion request needs a JSON body');
    const req = body as ChatCompletionRequest;
    const model = requireModel(this.ctx, req.model);
    const out = toAnthropicRequest(req, { includeModel: false, extra: { anthropic_version: VERTEX_ANTHROPIC_VERSION } });
    const stream = out.stream === true;
    this.response = new AnthropicToOpenAIResponse({ includeUsage: stream && req.stream_options?.include_usage === true, reasoning: this.reasoning });
    return { path: claudePath(this.ctx, model, stream), body: Buffer.from(JSON.stringify(out)), removeHeaders: REMOVE, model, stream };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    // Errors are read here, not by the Anthropic reader, because Google's own may come first.
    if (status < 200 || status >= 300) {
      this.googleError = { status, collector: new BodyCollector() };
      return { rewritesBody: true, setHeaders: { 'content-type': 'application/json' }, removeHeaders: ['content-encoding'] };
    }
    return this.response.responseHeaders(status, headers);
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (!this.googleError) return this.response.responseChunk(chunk, end);
    const whole = this.googleError.collector.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (isGoogleError(whole)) return googleErrorToOpenAI(this.googleError.status, whole);
    // Claude's own error: the Anthropic reader knows its types.
    this.response.responseHeaders(this.googleError.status, new Map());
    return this.response.responseChunk(whole, true);
  }

  usage(): Usage {
    return this.response.usage();
  }

  responseModel(): string | undefined {
    return this.response.responseModel();
  }

  progress(): ResponseProgress {
    return this.response.progress();
  }
}
