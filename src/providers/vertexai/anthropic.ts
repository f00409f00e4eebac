// Claude on Vertex AI: the Anthropic Messages body without `model` (the path names
// it) and with `anthropic_version: vertex-2023-10-16`, POSTed to :rawPredict or
// :streamRawPredict. Answers are Anthropic's own format, so the Anthropic
// provider's readers do the response side. Errors may come from Google's front
// door (AIP-193 JSON) rather than from Claude: both are put in the client's shape.
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import { anthropicError } from '../../dialects/anthropic/index.js';
import { GatewayError } from '../../processor/errors.js';
import type { Usage } from '../../usage/types.js';
import { AnthropicEventReader, AnthropicToOpenAIResponse, AnthropicUsageTracker, toAnthropicRequest } from '../anthropic/index.js';
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
  private mode: 'plain' | 'stream' | 'error' | 'skip' = 'skip';
  private readonly tracker = new AnthropicUsageTracker();
  private readonly reader = new AnthropicEventReader();
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
    const encoded = !['', 'identity'].includes((headers.get('content-encoding') ?? '').trim().toLowerCase());
    if (status < 200 || status >= 300) this.mode = encoded ? 'skip' : 'error';
    else if (encoded) this.mode = 'skip';
    else this.mode = (headers.get('content-type') ?? '').includes('text/event-stream') ? 'stream' : 'plain';
    return { rewritesBody: this.mode === 'error' };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    if (this.mode === 'error') {
      const whole = this.collector.push(chunk, end);
      if (!whole) return Buffer.alloc(0);
      if (!isGoogleError(whole)) return whole;
      const e = parseGoogleError(whole.toString('utf8'))!;
      return Buffer.from(JSON.stringify(anthropicError({ status: this.status, code: e.status ?? 'upstream_error', message: e.message ?? '' })));
    }
    try {
      if (this.mode === 'stream') for (const { event } of this.reader.push(chunk, end)) this.tracker.observe(event);
      else if (this.mode === 'plain') {
        const whole = this.collector.push(chunk, end);
        if (whole) this.tracker.observeMessage(JSON.parse(whole.toString('utf8')) as Record<string, unknown>);
      }
    } catch {
      // The client gets Vertex's bytes as they are; only counting stops.
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
}

/** OpenAI chat in, Claude on Vertex out: the Anthropic provider's mapping with Vertex's body rules. */
export class VertexClaudeFromOpenAI implements Translator {
  private response = new AnthropicToOpenAIResponse({ includeUsage: false });
  private googleError: { status: number; collector: BodyCollector } | undefined;

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a chat completion request needs a JSON body');
    const req = body as ChatCompletionRequest;
    const model = requireModel(this.ctx, req.model);
    const out = toAnthropicRequest(req, { includeModel: false, extra: { anthropic_version: VERTEX_ANTHROPIC_VERSION } });
    const stream = out.stream === true;
    this.response = new AnthropicToOpenAIResponse({ includeUsage: stream && req.stream_options?.include_usage === true });
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
}
