// OpenAI dialect in, Anthropic out: an OpenAI SDK talking to Claude. The request
// is rebuilt in Messages form (openai-request.ts); the response, plain or
// streamed, is rebuilt in Chat Completions form (to-openai-response.ts).
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { anthropicHeaders } from './headers.js';
import { toAnthropicRequest } from './openai-request.js';
import { AnthropicToOpenAIResponse } from './to-openai-response.js';

// OpenAI account headers mean nothing to Anthropic and need not travel there.
const OPENAI_HEADERS = ['openai-organization', 'openai-project', 'openai-beta'];

export class OpenAIToAnthropic implements Translator {
  private response = new AnthropicToOpenAIResponse({ includeUsage: false });

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a chat completion request needs a JSON body');
    const req = body as ChatCompletionRequest;
    const out = toAnthropicRequest(req, { model: this.ctx.model });
    const stream = out.stream === true;
    this.response = new AnthropicToOpenAIResponse({ includeUsage: stream && req.stream_options?.include_usage === true });
    return {
      path: '/v1/messages',
      body: Buffer.from(JSON.stringify(out)),
      model: out.model,
      stream,
      ...anthropicHeaders(this.ctx, OPENAI_HEADERS),
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    return this.response.responseHeaders(status, headers);
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    return this.response.responseChunk(chunk, end);
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
