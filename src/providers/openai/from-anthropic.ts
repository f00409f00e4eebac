// Anthropic dialect in, OpenAI (or a compatible server) out: Anthropic SDKs and
// Claude-speaking agents reaching OpenAI models. Request: from-anthropic-request.ts;
// responses: a chat.completion becomes a message, a chunk stream becomes the
// Messages event sequence, an OpenAI error becomes an Anthropic error.
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { OpenAIAnswer } from './answer.js';
import { toOpenAIChatRequest } from './from-anthropic-request.js';
import { toAnthropicError, toAnthropicMessage } from './from-anthropic-response.js';
import { OpenAIToAnthropicStream } from './from-anthropic-stream.js';
import { type ChatTargetFor, openAIChatTarget } from './chat-target.js';

// Anthropic SDK headers mean nothing to OpenAI; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'accept-encoding'];

export class AnthropicToOpenAI extends OpenAIAnswer implements Translator {
  constructor(
    private readonly ctx: TranslationContext,
    /** Where the request goes: OpenAI's path by default, Azure's deployment path when Azure wraps this. */
    private readonly target: ChatTargetFor = (model) => openAIChatTarget(ctx, model),
  ) {
    super({ plain: (completion) => JSON.stringify(toAnthropicMessage(completion)), stream: new OpenAIToAnthropicStream(), error: toAnthropicError });
  }

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
}
