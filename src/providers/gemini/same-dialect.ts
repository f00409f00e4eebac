// Gemini dialect in, Gemini out (AI Studio, or Vertex's Gemini models through a
// different GeminiTarget). The body passes untouched; the path is rebuilt so a
// backend's or route's model wins over the one the client's path names, and a bare
// prefix (seed 001: POST /gemini) reaches the backend model's generateContent.
// Responses pass untouched too; usage and model are read on the way.
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { SseParser } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { type GeminiMethod, type GeminiTarget, requireModel, upstreamQuery } from './target.js';
import { observeGemini } from './progress.js';
import { fromGeminiUsage } from './usage.js';

const METHOD = /:([A-Za-z]+)$/;
const MAX_USAGE_SCAN_BYTES = 32 * 1024 * 1024;

export class GeminiSameDialect implements Translator {
  private streaming = false;
  private readonly sse = new SseParser();
  private readonly plain: Buffer[] = [];
  private plainBytes = 0;
  private seenUsage: Usage = {};
  private model: string | undefined;
  private readonly answer = new ResponseProgress();

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {}

  /** Which method the client called: from its path, or generateContent for a bare prefix. */
  private method(): GeminiMethod {
    const { ctx } = this;
    if (ctx.path === '' || ctx.path === '/') {
      // A bare prefix has no method in its path; `alt=sse` is how a client asks for a stream there.
      return new URLSearchParams(ctx.query).get('alt') === 'sse' ? 'streamGenerateContent' : 'generateContent';
    }
    const m = METHOD.exec(ctx.path);
    const method = m?.[1] as GeminiMethod | undefined;
    if (!method || !this.target.methods.has(method)) {
      throw new GatewayError('unsupported_endpoint', `backend "${ctx.backend.name}" cannot serve ${ctx.path}`);
    }
    return method;
  }

  request(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const method = this.method();
    const model = requireModel(ctx, matchGeminiPath(ctx.path)?.pathModel);
    const stream = method === 'streamGenerateContent';
    return {
      path: this.target.path(model, method) + upstreamQuery(ctx.query, stream),
      body: ctx.model !== undefined && method === 'batchEmbedContents' ? this.pinBatchModel(body, model) : undefined,
      // The usage is read from the response, so it must arrive uncompressed.
      removeHeaders: ['accept-encoding'],
      model,
      stream,
    };
  }

  /** Each batch entry names its model too, and Google wants it to match the path's. */
  private pinBatchModel(body: unknown, model: string): Buffer | undefined {
    const requests = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests)) return undefined;
    const name = this.target.embedModelName(model);
    for (const r of requests) if (r && typeof r === 'object') (r as { model?: string }).model = name;
    return Buffer.from(JSON.stringify(body));
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.streaming = status >= 200 && status < 300 && (headers.get('content-type') ?? '').includes('text/event-stream');
    return { rewritesBody: false };
  }

  responseChunk(chunk: Buffer, end: boolean): undefined {
    if (this.streaming) {
      const events = this.sse.push(chunk, end);
      for (const ev of events) if (ev.data) this.observe(ev.data, false);
      return undefined;
    }
    if (this.plainBytes < MAX_USAGE_SCAN_BYTES) {
      this.plain.push(chunk);
      this.plainBytes += chunk.length;
    }
    if (end) {
      this.observe(Buffer.concat(this.plain).toString('utf8'), true);
      this.plain.length = 0;
    }
    return undefined;
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

  /** Usage in Gemini streams is cumulative: the last report wins. */
  private observe(text: string, whole: boolean): void {
    let parsed: GenerateContentResponse;
    try {
      parsed = JSON.parse(text) as GenerateContentResponse;
    } catch {
      return; // an error page or a cut body: nothing to count, the body is untouched anyway
    }
    if (!parsed || typeof parsed !== 'object') return;
    if (typeof parsed.modelVersion === 'string') this.model = parsed.modelVersion;
    const finishing = observeGemini(this.answer, parsed, whole);
    const usage = fromGeminiUsage(parsed.usageMetadata, finishing);
    if (usage) this.seenUsage = usage;
  }
}
