// OpenAI's POST /v1/responses/input_tokens on Gemini (AI Studio, or Vertex's Gemini models
// through another GeminiTarget): the Responses conversation restated as chat
// (../shared/responses-request.ts) and translated as for generateContent (chat-request.ts),
// with the same refusals under the Responses field names, then counted by countTokens
// (generation and tool-calling settings left out: they change no count).
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import { UpstreamInputTokenCount } from '../shared/responses-input-tokens.js';
import { responsesError, responsesToChat, type ResponsesTarget } from '../shared/responses-request.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { chatToGemini } from './chat-request.js';
import { googleErrorToOpenAI } from './errors.js';
import { type GeminiTarget, requireModel } from './target.js';

/** How Responses refusals name Gemini. */
export const GEMINI_RESPONSES: ResponsesTarget = { name: 'Gemini', model: 'a Gemini model', api: 'the Gemini API', jsonObject: true };

/** What Gemini's countTokens answers: the total, and the model version that counted, if given. */
export function countTokensAnswer(json: unknown): { total: number | undefined; model: string | undefined } {
  const res = json as { totalTokens?: unknown; modelVersion?: unknown } | null;
  return { total: typeof res?.totalTokens === 'number' ? res.totalTokens : undefined, model: typeof res?.modelVersion === 'string' ? res.modelVersion : undefined };
}

export class ResponsesInputTokensToGemini extends UpstreamInputTokenCount {
  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'an input_tokens request needs a JSON body');
    const req = body as ResponsesRequest;
    const { chat, origins } = responsesToChat(req, GEMINI_RESPONSES);
    const model = requireModel(this.ctx, req.model);
    let counted: GenerateContentRequest;
    try {
      const { generationConfig: _g, toolConfig: _t, ...rest } = chatToGemini(chat, this.target, model);
      counted = rest;
    } catch (e) {
      throw responsesError(e, origins);
    }
    return {
      path: this.target.path(model, 'countTokens'),
      body: Buffer.from(JSON.stringify(this.target.countTokensBody(counted, model))),
      // The answer is rewritten, so it must arrive uncompressed.
      removeHeaders: ['accept-encoding'],
      model,
      stream: false,
    };
  }

  protected count(json: unknown): number | undefined {
    const { total, model } = countTokensAnswer(json);
    this.answeredModel = model;
    return total;
  }

  protected error(status: number, body: Buffer): Buffer {
    return googleErrorToOpenAI(status, body);
  }
}
