// Anthropic Messages in, Bedrock Converse / ConverseStream out: Claude clients
// (the Anthropic SDKs, Claude Code) reach any Converse model through the gateway.
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { converseFromAnthropic } from './anthropic-request.js';
import { AnthropicEventWriter, anthropicFromConverse } from './anthropic-response.js';
import { BedrockTranslator, type StreamRenderer } from './base.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS, requireModel, type ResponseIdentity } from './shared.js';

export class BedrockAnthropicChat extends BedrockTranslator {
  constructor(private readonly ctx: TranslationContext) {
    super('anthropic');
  }

  request(body: unknown): UpstreamRequest {
    const req = (body ?? {}) as MessagesRequest;
    this.modelId = requireModel(this.ctx.model, req.model);
    const stream = req.stream === true;
    const converse = converseFromAnthropic(req, this.ctx.requestHeaders.get('anthropic-beta'));
    return {
      path: modelPath(this.modelId, stream ? 'converse-stream' : 'converse'),
      body: Buffer.from(JSON.stringify(converse)),
      setHeaders: converseHeaders(stream),
      removeHeaders: REMOVE_REQUEST_HEADERS,
      model: this.modelId,
      stream,
    };
  }

  protected plain(json: unknown, id: ResponseIdentity): unknown {
    const { body, usage } = anthropicFromConverse(json, id, this.modelId!);
    this.seenUsage = usage;
    return body;
  }

  protected streamRenderer(id: ResponseIdentity): StreamRenderer {
    return new AnthropicEventWriter(id, this.modelId!);
  }
}
