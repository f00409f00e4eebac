// Gemini dialect in (generateContent, streamGenerateContent), OpenAI Chat Completions
// out: @google/genai clients reaching OpenAI models, compatible servers, or (with
// Azure's path through ChatTarget) Azure OpenAI deployments. Request:
// from-gemini-request.ts; a chat.completion becomes a GenerateContentResponse, a chunk
// stream becomes Gemini SSE (from-gemini-stream.ts), an OpenAI error Google's error.
import { googleErrorBody, matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import { upstreamErrorMessage } from '../shared/body.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { OpenAIAnswer } from './answer.js';
import { geminiToChat } from './from-gemini-request.js';
import { toGenerateContentResponse } from './from-gemini-response.js';
import { OpenAIToGeminiStream } from './from-gemini-stream.js';
import { type ChatTargetFor, openAIChatTarget } from './chat-target.js';

// Google SDK telemetry means nothing to OpenAI; accept-encoding goes so the body can be read.
const DROP_HEADERS = ['x-goog-api-client', 'accept-encoding'];

export class GeminiToOpenAI extends OpenAIAnswer implements Translator {
  /** The client asked for streamGenerateContent (learnt by request()). */
  private readonly asked: { streamed: boolean };

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: ChatTargetFor = (model) => openAIChatTarget(ctx, model),
  ) {
    const asked = { streamed: false };
    super({
      plain: (completion) => {
        const json = JSON.stringify(toGenerateContentResponse(completion));
        // A stream answered with one JSON document still reaches the client as the stream it asked for.
        return asked.streamed ? sseEvent(json) : json;
      },
      stream: new OpenAIToGeminiStream(),
      error: (status, body) => Buffer.from(JSON.stringify(googleErrorBody(status, upstreamErrorMessage(status, body)))),
      streamType: 'text/event-stream',
      plainType: () => (asked.streamed ? 'text/event-stream' : 'application/json'),
    });
    this.asked = asked;
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a generateContent request needs a JSON body');
    const found = matchGeminiPath(this.ctx.path);
    this.asked.streamed = found?.pathStream === true;
    const target = this.target(this.ctx.model ?? (found?.pathModel || undefined));
    if (!target) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    const out = geminiToChat(body as GenerateContentRequest, { model: target.model, stream: this.asked.streamed, maxTokensField: target.maxTokensField });
    return { path: target.path, body: Buffer.from(JSON.stringify(out)), model: target.model, stream: this.asked.streamed, removeHeaders: DROP_HEADERS };
  }
}
