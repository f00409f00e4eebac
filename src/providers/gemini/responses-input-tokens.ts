// OpenAI's POST /v1/responses/input_tokens on Gemini (AI Studio, or Vertex's Gemini models
// through another GeminiTarget): the Responses conversation restated as chat
// (../shared/responses-request.ts) and translated as for generateContent (chat-request.ts),
// with the same refusals under the Responses field names, then counted by countTokens
// (count-tokens.ts).
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import { inputTokensAnswer } from '../shared/responses-input-tokens.js';
import { responsesError, responsesToChat, type ResponsesTarget } from '../shared/responses-request.js';
import type { TranslationContext } from '../types.js';
import { chatToGemini } from './chat-request.js';
import { type CountingClient, GeminiTokenCount } from './count-tokens.js';
import { googleErrorToOpenAI } from './errors.js';
import { type GeminiTarget, requireModel } from './target.js';

/** How Responses refusals name Gemini. */
export const GEMINI_RESPONSES: ResponsesTarget = { name: 'Gemini', model: 'a Gemini model', api: 'the Gemini API', jsonObject: true };

/** Responses clients: their conversation restated as chat, refusals under the Responses field names. */
const RESPONSES_CLIENT: CountingClient = {
  counted(body, ctx, target) {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'an input_tokens request needs a JSON body');
    const req = body as ResponsesRequest;
    const { chat, origins } = responsesToChat(req, GEMINI_RESPONSES);
    const model = requireModel(ctx, req.model);
    try {
      const { generationConfig: _g, toolConfig: _t, ...counted } = chatToGemini(chat, target, model);
      return { counted, model };
    } catch (e) {
      throw responsesError(e, origins);
    }
  },
  error: googleErrorToOpenAI,
  answer: inputTokensAnswer,
  removeHeaders: ['accept-encoding'],
};

export class ResponsesInputTokensToGemini extends GeminiTokenCount {
  constructor(ctx: TranslationContext, target: GeminiTarget) {
    super(ctx, target, RESPONSES_CLIENT);
  }
}
