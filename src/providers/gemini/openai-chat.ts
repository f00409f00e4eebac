// OpenAI chat.completions in, Gemini generateContent out (AI Studio, or Vertex's
// Gemini models through another GeminiTarget). Plain responses are collected and
// rewritten whole; streams are rewritten event by event as they arrive; upstream
// errors keep their status and get OpenAI's error shape. Also the chat translation under
// the Responses adapter (shared/responses-over-chat.ts): there, and only there, thought
// summaries are written as reasoning_content and asked for when the client wants them.
import { randomBytes } from 'node:crypto';
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import { openAIError } from '../../dialects/openai/index.js';
import { GatewayError } from '../../errors.js';
import { responsesAsks } from '../shared/responses-request.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { GeminiAnswer, type GoogleError } from './answer.js';
import { chatToGemini } from './chat-request.js';
import { toChatCompletion, ToolCallIds } from './chat-response.js';
import { ChatChunkWriter } from './chat-stream.js';
import { googleErrorToOpenAI } from './errors.js';
import { type GeminiTarget, requireModel } from './target.js';

export class OpenAIChatToGemini extends GeminiAnswer<ChatChunkWriter> implements Translator {
  /**
   * Thought summaries are written (as reasoning_content) only for the Responses adapter,
   * which turns them into reasoning items: Chat Completions has no field for them, and its
   * clients' answers stay exactly what they were.
   */
  private readonly reasoning: boolean;
  /** What request() learns, for the writers. */
  private readonly asked: { model: string; includeUsage: boolean };

  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {
    const reasoning = ctx.operation === 'responses';
    const asked = { model: '', includeUsage: false };
    const fallbackId = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const ids = new ToolCallIds();
    super({
      plain: (res, created) => toChatCompletion(res, ids, { id: fallbackId, model: asked.model, created }, reasoning),
      stream: (created) => new ChatChunkWriter({ id: fallbackId, model: asked.model, created, includeUsage: asked.includeUsage, ids, reasoning }),
      streamError: (_writer, e) => errorEvent(e),
      error: googleErrorToOpenAI,
    });
    this.reasoning = reasoning;
    this.asked = asked;
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a chat completion request needs a JSON body');
    const req = body as ChatCompletionRequest;
    const model = requireModel(this.ctx, req.model);
    this.asked.model = model;
    this.streamed = req.stream === true;
    this.asked.includeUsage = this.streamed && req.stream_options?.include_usage === true;
    // Gemini sends thought summaries only when asked: a Responses client asks with reasoning.summary.
    const includeThoughts = this.reasoning && responsesAsks(req)?.reasoningSummary === true;
    const upstream = chatToGemini(req, this.target, model, { includeThoughts });
    const method = this.streamed ? 'streamGenerateContent' : 'generateContent';
    return {
      path: this.target.path(model, method) + (this.streamed ? '?alt=sse' : ''),
      body: Buffer.from(JSON.stringify(upstream)),
      // The response is rewritten, so it must arrive uncompressed.
      removeHeaders: ['accept-encoding'],
      model,
      stream: this.streamed,
    };
  }
}

/** An error mid-stream as OpenAI streams carry one: the SDKs raise an event with `error` as an API error. */
function errorEvent(e: GoogleError): string {
  return `data: ${JSON.stringify(openAIError({ status: e?.code ?? 500, code: e?.status ?? 'upstream_error', message: e?.message ?? 'upstream stream error' }))}\n\n`;
}
