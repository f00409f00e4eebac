// OpenAI Chat Completions in, Bedrock Converse / ConverseStream out.
import type { ChatCompletionRequest } from '../../dialects/openai/types.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { BedrockTranslator, type StreamRenderer } from './base.js';
import { converseFromOpenAI } from './openai-request.js';
import { OpenAIChunkWriter, openAIFromConverse } from './openai-response.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS, requireModel, type ResponseIdentity } from './shared.js';

export class BedrockOpenAIChat extends BedrockTranslator {
  private includeUsage = false;
  private jsonTool: string | undefined;

  constructor(private readonly ctx: TranslationContext) {
    super('openai');
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
    const { body, usage } = openAIFromConverse(json, id, this.modelId!, this.jsonTool);
    this.seenUsage = usage;
    return body;
  }

  protected streamRenderer(id: ResponseIdentity): StreamRenderer {
    return new OpenAIChunkWriter(id, this.modelId!, this.includeUsage, this.jsonTool);
  }
}
