// OpenAI chat.completions in, Gemini generateContent out (AI Studio, or Vertex's
// Gemini models through another GeminiTarget). Plain responses are collected and
// rewritten whole; streams are rewritten event by event as they arrive; upstream
// errors keep their status and get OpenAI's error shape. Also the chat translation under
// the Responses adapter (shared/responses-over-chat.ts): there, and only there, thought
// summaries are written as reasoning_content and asked for when the client wants them.
import { randomBytes } from 'node:crypto';
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { openAIError } from '../../dialects/openai/index.js';
import { GatewayError } from '../../errors.js';
import { SseParser } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import { responsesAsks } from '../shared/responses-request.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { chatToGemini } from './chat-request.js';
import { toChatCompletion, ToolCallIds } from './chat-response.js';
import { ChatChunkWriter } from './chat-stream.js';
import { googleErrorToOpenAI, parseGoogleError } from './errors.js';
import { type GeminiTarget, requireModel } from './target.js';
import { observeGemini } from './progress.js';
import { fromGeminiUsage } from './usage.js';

/** `stream-json`: a stream was asked for but Google answered one JSON document (or an array of them). */
type Mode = 'plain' | 'stream' | 'stream-json' | 'error';

export class OpenAIChatToGemini implements Translator {
  private mode: Mode = 'plain';
  private status = 0;
  private stream = false;
  private includeUsage = false;
  private model = '';
  private readonly fallbackId = `chatcmpl-${randomBytes(12).toString('hex')}`;
  private created = Math.floor(Date.now() / 1000);
  private readonly ids = new ToolCallIds();
  private readonly body = new BodyCollector();
  private readonly sse = new SseParser();
  private writer: ChatChunkWriter | undefined;
  private plainUsage: Usage = {};
  private plainModel: string | undefined;
  private readonly plainProgress = new ResponseProgress();
  /**
   * Thought summaries are written (as reasoning_content) only for the Responses adapter,
   * which turns them into reasoning items: Chat Completions has no field for them, and its
   * clients' answers stay exactly what they were.
   */
  private readonly reasoning: boolean;

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {
    this.reasoning = ctx.operation === 'responses';
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a chat completion request needs a JSON body');
    const req = body as ChatCompletionRequest;
    this.model = requireModel(this.ctx, req.model);
    this.stream = req.stream === true;
    this.includeUsage = this.stream && req.stream_options?.include_usage === true;
    // Gemini sends thought summaries only when asked: a Responses client asks with reasoning.summary.
    const includeThoughts = this.reasoning && responsesAsks(req)?.reasoningSummary === true;
    const upstream = chatToGemini(req, this.target, this.model, { includeThoughts });
    const method = this.stream ? 'streamGenerateContent' : 'generateContent';
    return {
      path: this.target.path(this.model, method) + (this.stream ? '?alt=sse' : ''),
      body: Buffer.from(JSON.stringify(upstream)),
      // The response is rewritten, so it must arrive uncompressed.
      removeHeaders: ['accept-encoding'],
      model: this.model,
      stream: this.stream,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    // Gemini responses carry no timestamp (Vertex's createTime aside); the Date header is when it answered.
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.created = Math.floor(date / 1000);
    if (status >= 200 && status < 300) requireIdentityEncoding(headers);
    const eventStream = (headers.get('content-type') ?? '').includes('text/event-stream');
    this.mode = status < 200 || status >= 300 ? 'error' : !this.stream ? 'plain' : eventStream ? 'stream' : 'stream-json';
    if (this.mode === 'stream' || this.mode === 'stream-json') {
      this.writer = new ChatChunkWriter({ id: this.fallbackId, model: this.model, created: this.created, includeUsage: this.includeUsage, ids: this.ids, reasoning: this.reasoning });
    }
    const type = this.writer ? 'text/event-stream' : 'application/json';
    return { rewritesBody: true, setHeaders: { 'content-type': type }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return this.streamChunk(chunk, end);
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return googleErrorToOpenAI(this.status, whole);
    if (this.mode === 'stream-json') return this.jsonAsStream(whole);
    const res = parseResponse(whole.toString('utf8'));
    this.plainModel = res.modelVersion;
    this.plainUsage = fromGeminiUsage(res.usageMetadata, true) ?? {};
    const completion = toChatCompletion(res, this.ids, { id: this.fallbackId, model: this.model, created: this.created }, this.reasoning);
    observeGemini(this.plainProgress, res, true);
    return Buffer.from(JSON.stringify(completion));
  }

  /** The whole answer at once, still as the stream the client asked for: never a silent empty one. */
  private jsonAsStream(whole: Buffer): Buffer {
    const parsed = parseUpstreamJson(whole.toString('utf8'));
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (events.length === 0) throw new GatewayError('upstream_response_invalid', 'the Gemini stream held no response');
    let out = '';
    for (const ev of events) out += this.writer!.event(asResponse(ev));
    return Buffer.from(out + this.writer!.end());
  }

  private streamChunk(chunk: Buffer, end: boolean): Buffer {
    const writer = this.writer!;
    const events = this.sse.push(chunk, end);
    let out = '';
    for (const ev of events) {
      if (ev.data === undefined) {
        // Google writes an error that ends a stream as its error JSON outside the SSE framing
        // (no `data:` line), after the events so far: skipping it would end the client's
        // stream as if the answer were whole.
        const e = ev.raw.trimStart().startsWith('{') ? parseGoogleError(ev.raw) : undefined;
        if (e) out += errorEvent(e);
        continue;
      }
      if (ev.data.trim() === '') continue;
      const res = parseResponse(ev.data);
      if ((res as { error?: unknown }).error) {
        out += errorEvent(parseGoogleError(ev.data));
        continue;
      }
      out += writer.event(res);
    }
    if (end) out += writer.end();
    return Buffer.from(out);
  }

  usage(): Usage {
    return this.writer ? this.writer.usage : this.plainUsage;
  }

  responseModel(): string | undefined {
    return this.writer ? this.writer.responseModel : this.plainModel;
  }

  progress(): ResponseProgress {
    return this.writer ? this.writer.progress : this.plainProgress;
  }
}

/** An error mid-stream as OpenAI streams carry one: the SDKs raise an event with `error` as an API error. */
function errorEvent(e: ReturnType<typeof parseGoogleError>): string {
  return `data: ${JSON.stringify(openAIError({ status: e?.code ?? 500, code: e?.status ?? 'upstream_error', message: e?.message ?? 'upstream stream error' }))}\n\n`;
}

function parseResponse(text: string): GenerateContentResponse {
  return asResponse(parseUpstreamJson(text));
}

function asResponse(v: unknown): GenerateContentResponse {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('upstream_response_invalid', 'the Gemini response is not a GenerateContentResponse object');
  return v as GenerateContentResponse;
}
