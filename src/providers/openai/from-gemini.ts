// Gemini dialect in (generateContent, streamGenerateContent), OpenAI Chat Completions
// out: @google/genai clients reaching OpenAI models, compatible servers, or (with
// Azure's path through ChatTarget) Azure OpenAI deployments. Request:
// from-gemini-request.ts; a chat.completion becomes a GenerateContentResponse, a chunk
// stream becomes Gemini SSE (from-gemini-stream.ts), an OpenAI error Google's error.
import { googleErrorBody, matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { ChatCompletion } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import { sseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding, upstreamErrorMessage } from '../shared/body.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { geminiToChat } from './from-gemini-request.js';
import { toGenerateContentResponse } from './from-gemini-response.js';
import { OpenAIToGeminiStream } from './from-gemini-stream.js';
import { type ChatTargetFor, openAIChatTarget } from './chat-target.js';
import { CompletionRecord } from './completion-reader.js';

// Google SDK telemetry means nothing to OpenAI; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['x-goog-api-client', 'accept-encoding'];

export class GeminiToOpenAI implements Translator {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  /** The client asked for streamGenerateContent. */
  private streamed = false;
  private readonly body = new BodyCollector();
  private readonly stream = new OpenAIToGeminiStream();
  private readonly plain = new CompletionRecord();

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: ChatTargetFor = (model) => openAIChatTarget(ctx, model),
  ) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a generateContent request needs a JSON body');
    const found = matchGeminiPath(this.ctx.path);
    this.streamed = found?.pathStream === true;
    const target = this.target(this.ctx.model ?? (found?.pathModel || undefined));
    if (!target) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    const out = geminiToChat(body as GenerateContentRequest, { model: target.model, stream: this.streamed, maxTokensField: target.maxTokensField });
    return { path: target.path, body: Buffer.from(JSON.stringify(out)), model: target.model, stream: this.streamed, removeHeaders: DROP_HEADERS };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) this.mode = 'stream';
    // A stream answered with one JSON document still reaches the client as the stream it asked for.
    const sse = this.mode === 'stream' || (this.mode === 'plain' && this.streamed);
    return { rewritesBody: true, setHeaders: { 'content-type': sse ? 'text/event-stream' : 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return Buffer.from(this.stream.push(chunk, end));
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return Buffer.from(JSON.stringify(googleErrorBody(this.status, upstreamErrorMessage(this.status, whole))));
    const completion = parseUpstreamJson<ChatCompletion>(whole);
    const res = toGenerateContentResponse(completion);
    this.plain.observe(completion);
    const json = JSON.stringify(res);
    return Buffer.from(this.streamed ? sseEvent(json) : json);
  }

  usage(): Usage {
    return this.mode === 'stream' ? this.stream.usage() : this.plain.usage;
  }

  responseModel(): string | undefined {
    return this.mode === 'stream' ? this.stream.responseModel : this.plain.model;
  }

  progress(): ResponseProgress {
    return this.mode === 'stream' ? this.stream.progress : this.plain.progress;
  }
}
