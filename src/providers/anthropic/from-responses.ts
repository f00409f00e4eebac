// OpenAI Responses API in (POST /v1/responses, plain or streamed), Anthropic Messages
// out: an OpenAI SDK's `responses.create` / `responses.stream` reaching Claude. Request:
// from-responses-request.ts; a message becomes a `response` object
// (from-responses-response.ts), an event stream the Responses events
// (from-responses-stream.ts), an Anthropic error OpenAI's error shape, status kept.
import type { Message } from '../../dialects/anthropic/types.js';
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { AnthropicEventReader } from './events.js';
import { responsesToAnthropic } from './from-responses-request.js';
import { type RequestEcho, requestEcho } from '../shared/responses-objects.js';
import { toResponseObject } from './from-responses-response.js';
import { AnthropicToResponsesStream } from './from-responses-stream.js';
import { anthropicHeaders } from './headers.js';
import { toOpenAIError } from './openai-response.js';
import { AnthropicUsageTracker } from './usage.js';

// OpenAI account headers mean nothing to Anthropic and need not travel there.
const OPENAI_HEADERS = ['openai-organization', 'openai-project', 'openai-beta'];

export class ResponsesToAnthropic implements Translator {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  private created = Math.floor(Date.now() / 1000);
  private echo: RequestEcho = requestEcho({});
  private readonly body = new BodyCollector();
  private readonly reader = new AnthropicEventReader();
  private readonly plainUsage = new AnthropicUsageTracker();
  private stream: AnthropicToResponsesStream | undefined;

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a Responses API request needs a JSON body');
    const req = body as ResponsesRequest;
    const out = responsesToAnthropic(req, { model: this.ctx.model });
    this.echo = requestEcho(req);
    return { path: '/v1/messages', body: Buffer.from(JSON.stringify(out.body)), model: out.body.model, stream: out.stream, ...anthropicHeaders(this.ctx, OPENAI_HEADERS) };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    // Anthropic messages carry no timestamp; the upstream's Date header is when it answered.
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.created = Math.floor(date / 1000);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) {
      this.mode = 'stream';
      this.stream = new AnthropicToResponsesStream(this.created, this.echo);
    }
    return { rewritesBody: true, setHeaders: { 'content-type': this.mode === 'stream' ? 'text/event-stream; charset=utf-8' : 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.stream) {
      let out = '';
      for (const { event } of this.reader.push(chunk, end)) out += this.stream.event(event);
      if (end) out += this.stream.end();
      return Buffer.from(out);
    }
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return toOpenAIError(this.status, whole);
    const msg = parseUpstreamJson<Message>(whole);
    this.plainUsage.observeMessage(msg);
    return Buffer.from(JSON.stringify(toResponseObject(msg, this.created, this.echo)));
  }

  usage(): Usage {
    return this.stream ? this.stream.usage() : this.plainUsage.usage();
  }

  responseModel(): string | undefined {
    return this.stream ? this.stream.responseModel : this.plainUsage.model;
  }

  progress(): ResponseProgress {
    return this.stream ? this.stream.progress : this.plainUsage.progress;
  }
}
