// Anthropic dialect in, OpenAI (or a compatible server) out: Anthropic SDKs and
// Claude-speaking agents reaching OpenAI models. Request: from-anthropic-request.ts;
// responses: a chat.completion becomes a message, a chunk stream becomes the
// Messages event sequence, an OpenAI error becomes an Anthropic error.
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { ChatCompletion } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { toOpenAIChatRequest } from './from-anthropic-request.js';
import { toAnthropicError, toAnthropicMessage } from './from-anthropic-response.js';
import { OpenAIToAnthropicStream } from './from-anthropic-stream.js';
import { type ChatTargetFor, openAIChatTarget } from './chat-target.js';
import { CompletionRecord } from './completion-reader.js';

// Anthropic SDK headers mean nothing to OpenAI; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'accept-encoding'];

export class AnthropicToOpenAI implements Translator {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  private readonly body = new BodyCollector();
  private readonly stream = new OpenAIToAnthropicStream();
  private readonly plain = new CompletionRecord();

  constructor(
    private readonly ctx: TranslationContext,
    /** Where the request goes: OpenAI's path by default, Azure's deployment path when Azure wraps this. */
    private readonly target: ChatTargetFor = (model) => openAIChatTarget(ctx, model),
  ) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a Messages request needs a JSON body');
    const req = body as MessagesRequest;
    const target = this.target(this.ctx.model ?? (typeof req.model === 'string' && req.model !== '' ? req.model : undefined));
    // Without a target, toOpenAIChatRequest refuses the body for its missing model (after naming any unsupported field first).
    const out = toOpenAIChatRequest(req, { model: target?.model, maxTokensField: target?.maxTokensField ?? 'max_tokens' });
    return {
      path: target!.path,
      body: Buffer.from(JSON.stringify(out)),
      model: out.model,
      stream: out.stream === true,
      removeHeaders: DROP_HEADERS,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) this.mode = 'stream';
    return { rewritesBody: true, setHeaders: this.mode === 'stream' ? {} : { 'content-type': 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return Buffer.from(this.stream.push(chunk, end));
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return toAnthropicError(this.status, whole);
    const completion = parseUpstreamJson<ChatCompletion>(whole);
    const msg = toAnthropicMessage(completion);
    this.plain.observe(completion);
    return Buffer.from(JSON.stringify(msg));
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
