// OpenAI Responses API in (POST /v1/responses, plain or streamed), Anthropic Messages
// out: an OpenAI SDK's `responses.create` / `responses.stream` reaching Claude. Request:
// from-responses-request.ts; a message becomes a `response` object
// (from-responses-response.ts), an event stream the Responses events
// (from-responses-stream.ts), an Anthropic error OpenAI's error shape, status kept.
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { AnthropicAnswer } from './answer.js';
import { responsesToAnthropic } from './from-responses-request.js';
import { type RequestEcho, requestEcho } from '../shared/responses-objects.js';
import { toResponseObject } from './from-responses-response.js';
import { AnthropicToResponsesStream } from './from-responses-stream.js';
import { anthropicHeaders } from './headers.js';
import { toOpenAIError } from './openai-response.js';

// OpenAI account headers mean nothing to Anthropic and need not travel there.
const OPENAI_HEADERS = ['openai-organization', 'openai-project', 'openai-beta'];

export class ResponsesToAnthropic extends AnthropicAnswer implements Translator {
  /** The request fields the response object repeats, known once request() has read them. */
  private readonly echo: { current: RequestEcho };

  constructor(private readonly ctx: TranslationContext) {
    const echo = { current: requestEcho({}) };
    super({
      plain: (msg, created) => JSON.stringify(toResponseObject(msg, created, echo.current)),
      stream: (created) => new AnthropicToResponsesStream(created, echo.current),
      error: toOpenAIError,
      streamType: 'text/event-stream; charset=utf-8',
    });
    this.echo = echo;
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a Responses API request needs a JSON body');
    const req = body as ResponsesRequest;
    const out = responsesToAnthropic(req, { model: this.ctx.model });
    this.echo.current = requestEcho(req);
    return { path: '/v1/messages', body: Buffer.from(JSON.stringify(out.body)), model: out.body.model, stream: out.stream, ...anthropicHeaders(this.ctx, OPENAI_HEADERS) };
  }
}
