// OpenAI Chat Completions in, Bedrock Converse / ConverseStream out; also the chat
// translation under the Responses adapter (shared/responses-over-chat.ts).
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { BedrockTranslator, type StreamRenderer } from './base.js';
import { converseFromOpenAI } from './openai-request.js';
import { OpenAIChunkWriter, openAIFromConverse } from './openai-response.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS, requireModel, type ResponseIdentity } from './shared.js';

export class BedrockOpenAIChat extends BedrockTranslator {
  private includeUsage = false;
  private jsonTool: string | undefined;
  /**
   * Claude's reasoning text is written (as reasoning_content) only for the Responses adapter,
   * which turns it into reasoning items: Chat Completions has no field for it, and its
   * clients' answers stay exactly what they were.
   */
  private readonly reasoning: boolean;

  constructor(private readonly ctx: TranslationContext) {
    super('openai');
    this.reasoning = ctx.operation === 'responses';
  }

  request(body: unknown): UpstreamRequest {
    const req = (body ?? {}) as ChatCompletionRequest;
    this.modelId = requireModel(this.ctx.model, req.model);
    const stream = req.stream === true;
    this.includeUsage = stream && req.stream_options?.include_usage === true;
    const built = converseFromOpenAI(req, this.modelId);
    this.jsonTool = built.jsonTool;
    return {
      path: modelPath(this.modelId, stream ? 'converse-stream' : 'converse'),
      body: Buffer.from(JSON.stringify(built.body)),
      setHeaders: converseHeaders(stream),
      removeHeaders: REMOVE_REQUEST_HEADERS,
      model: this.modelId,
      stream,
    };
  }

  protected plain(json: unknown, id: ResponseIdentity): unknown {
    const { body, usage } = openAIFromConverse(json, id, this.modelId!, this.jsonTool, this.reasoning);
    this.seenUsage = usage;
    return body;
  }

  protected streamRenderer(id: ResponseIdentity): StreamRenderer {
    return new OpenAIChunkWriter(id, this.modelId!, this.includeUsage, this.jsonTool, this.reasoning);
  }
}
