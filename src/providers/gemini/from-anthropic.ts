// Anthropic dialect in, Gemini out (AI Studio, or Vertex's Gemini models through another
// GeminiTarget): /v1/messages as generateContent / streamGenerateContent?alt=sse, and
// /v1/messages/count_tokens as countTokens. Plain answers are rewritten whole, streams
// event by event; upstream errors keep their status and get Anthropic's error shape.
import { randomBytes } from 'node:crypto';
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { GeminiAnswer } from './answer.js';
import { ToolCallIds } from './chat-response.js';
import { type CountingClient, GeminiTokenCount } from './count-tokens.js';
import { geminiFromAnthropic } from './from-anthropic-request.js';
import { googleErrorToAnthropic, messageFromGemini } from './from-anthropic-response.js';
import { AnthropicEventsFromGemini } from './from-anthropic-stream.js';
import { type GeminiTarget, requireModel } from './target.js';

// Anthropic SDK headers mean nothing to Google; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'accept-encoding'];

export class AnthropicToGemini extends GeminiAnswer<AnthropicEventsFromGemini> implements Translator {
  /** What request() learns, for the writers: the model asked for. */
  private readonly asked: { model: string };

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {
    const asked = { model: '' };
    const fallbackId = `msg_${randomBytes(12).toString('hex')}`;
    const ids = new ToolCallIds('toolu');
    super({
      plain: (res) => messageFromGemini(res, ids, { id: fallbackId, model: asked.model }),
      stream: () => new AnthropicEventsFromGemini(ids, { id: fallbackId, model: asked.model }),
      // An error mid-stream: the Anthropic SDKs raise an `error` event as an API error.
      streamError: (writer, e) => writer.error('api_error', e?.status ? `${e.status}: ${e.message ?? ''}` : (e?.message ?? 'upstream stream error')),
      error: googleErrorToAnthropic,
    });
    this.asked = asked;
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a Messages request needs a JSON body');
    const req = body as MessagesRequest;
    // Unsupported fields are named before a missing model: the client learns what to change first.
    const upstream = geminiFromAnthropic(req, this.target);
    const model = requireModel(this.ctx, req.model);
    this.asked.model = model;
    this.streamed = req.stream === true;
    const method = this.streamed ? 'streamGenerateContent' : 'generateContent';
    return {
      path: this.target.path(model, method) + (this.streamed ? '?alt=sse' : ''),
      body: Buffer.from(JSON.stringify(upstream)),
      removeHeaders: DROP_HEADERS,
      model,
      stream: this.streamed,
    };
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
