// Anthropic dialect in, Gemini out (AI Studio, or Vertex's Gemini models through another
// GeminiTarget): /v1/messages as generateContent / streamGenerateContent?alt=sse, and
// /v1/messages/count_tokens as countTokens. Plain answers are rewritten whole, streams
// event by event; upstream errors keep their status and get Anthropic's error shape.
import { randomBytes } from 'node:crypto';
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { SseParser } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { ToolCallIds } from './chat-response.js';
import { type CountingClient, GeminiTokenCount } from './count-tokens.js';
import { parseGoogleError } from './errors.js';
import { geminiFromAnthropic } from './from-anthropic-request.js';
import { googleErrorToAnthropic, messageFromGemini } from './from-anthropic-response.js';
import { AnthropicEventsFromGemini } from './from-anthropic-stream.js';
import { observeGemini } from './progress.js';
import { type GeminiTarget, requireModel } from './target.js';
import { fromGeminiUsage } from './usage.js';

// Anthropic SDK headers mean nothing to Google; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'accept-encoding'];

/** `stream-json`: a stream was asked for but Google answered one JSON document (or an array of them). */
type Mode = 'plain' | 'stream' | 'stream-json' | 'error';

export class AnthropicToGemini implements Translator {
  private mode: Mode = 'plain';
  private status = 0;
  private stream = false;
  private model = '';
  private readonly fallbackId = `msg_${randomBytes(12).toString('hex')}`;
  private readonly ids = new ToolCallIds('toolu');
  private readonly body = new BodyCollector();
  private readonly sse = new SseParser();
  private writer: AnthropicEventsFromGemini | undefined;
  private plainUsage: Usage = {};
  private plainModel: string | undefined;
  private readonly plainProgress = new ResponseProgress();

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a Messages request needs a JSON body');
    const req = body as MessagesRequest;
    // Unsupported fields are named before a missing model: the client learns what to change first.
    const upstream = geminiFromAnthropic(req, this.target);
    this.model = requireModel(this.ctx, req.model);
    this.stream = req.stream === true;
    const method = this.stream ? 'streamGenerateContent' : 'generateContent';
    return {
      path: this.target.path(this.model, method) + (this.stream ? '?alt=sse' : ''),
      body: Buffer.from(JSON.stringify(upstream)),
      removeHeaders: DROP_HEADERS,
      model: this.model,
      stream: this.stream,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    const eventStream = (headers.get('content-type') ?? '').includes('text/event-stream');
    this.mode = !ok ? 'error' : !this.stream ? 'plain' : eventStream ? 'stream' : 'stream-json';
    if (this.mode === 'stream' || this.mode === 'stream-json') this.writer = new AnthropicEventsFromGemini(this.ids, { id: this.fallbackId, model: this.model });
    return { rewritesBody: true, setHeaders: { 'content-type': this.writer ? 'text/event-stream' : 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return this.streamChunk(chunk, end);
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return googleErrorToAnthropic(this.status, whole);
    if (this.mode === 'stream-json') return this.jsonAsStream(whole);
    const res = asResponse(parseUpstreamJson(whole.toString('utf8')));
    this.plainModel = res.modelVersion;
    this.plainUsage = fromGeminiUsage(res.usageMetadata, true) ?? {};
    const msg = messageFromGemini(res, this.ids, { id: this.fallbackId, model: this.model });
    observeGemini(this.plainProgress, res, true);
    return Buffer.from(JSON.stringify(msg));
  }

  /** The whole answer at once, still as the stream the client asked for. */
  private jsonAsStream(whole: Buffer): Buffer {
    const parsed = parseUpstreamJson(whole.toString('utf8'));
    const events = Array.isArray(parsed) ? parsed : [parsed];
    let out = '';
    for (const ev of events) out += this.writer!.event(asResponse(ev));
    return Buffer.from(out + this.writer!.end());
  }

  private streamChunk(chunk: Buffer, end: boolean): Buffer {
    const writer = this.writer!;
    let out = '';
    for (const ev of this.sse.push(chunk, end)) {
      if (ev.data === undefined || ev.data.trim() === '' || writer.finished) continue;
      const parsed = parseUpstreamJson(ev.data);
      if (parsed && typeof parsed === 'object' && 'error' in parsed) {
        // An error mid-stream: the Anthropic SDKs raise an `error` event as an API error.
        const e = parseGoogleError(ev.data);
        out += writer.error('api_error', e?.status ? `${e.status}: ${e.message ?? ''}` : (e?.message ?? 'upstream stream error'));
        continue;
      }
      out += writer.event(asResponse(parsed));
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

/** Anthropic clients' count_tokens: the same translation of the conversation, answered as `{"input_tokens": N}`. */
const ANTHROPIC_CLIENT: CountingClient = {
  counted(body, ctx, target) {
    if (body === undefined) throw new GatewayError('invalid_json', 'a count_tokens request needs a JSON body');
    const req = body as MessagesRequest;
    const { generationConfig: _g, toolConfig: _t, ...counted } = geminiFromAnthropic(req, target);
    return { counted, model: requireModel(ctx, req.model) };
  },
  error: googleErrorToAnthropic,
  answer: (n) => ({ input_tokens: n }),
  removeHeaders: DROP_HEADERS,
};

/** /v1/messages/count_tokens as Gemini's countTokens (count-tokens.ts). */
export class AnthropicCountTokensToGemini extends GeminiTokenCount {
  constructor(ctx: TranslationContext, target: GeminiTarget) {
    super(ctx, target, ANTHROPIC_CLIENT);
  }
}

function asResponse(v: unknown): GenerateContentResponse {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('upstream_response_invalid', 'the Gemini response is not a GenerateContentResponse object');
  return v as GenerateContentResponse;
}
