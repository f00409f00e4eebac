// OpenAI Embeddings in, Amazon Titan Text Embeddings (InvokeModel) out. Titan embeds
// one text per request, so an input array of more than one string is a 400 naming
// `input` rather than a fan-out the gateway would have to bill and order itself.
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { BedrockTranslator } from './base.js';
import type { TitanEmbeddingRequest, TitanEmbeddingResponse } from './converse-types.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS, requireModel } from './shared.js';

export class BedrockOpenAIEmbeddings extends BedrockTranslator {
  private base64 = false;

  constructor(private readonly ctx: TranslationContext) {
    super('openai', false);
  }

  request(body: unknown): UpstreamRequest {
    const req = (body ?? {}) as EmbeddingsRequest & Record<string, unknown>;
    this.modelId = requireTitan(requireModel(this.ctx.model, req.model));
    const titan: TitanEmbeddingRequest = { inputText: singleInput(req.input) };
    if (req.dimensions !== undefined) titan.dimensions = req.dimensions;
    if (req.encoding_format !== undefined && req.encoding_format !== 'float' && req.encoding_format !== 'base64') {
      throw new GatewayError('unsupported_field', `unknown encoding_format ${String(req.encoding_format)}`, 'encoding_format');
    }
    // The OpenAI SDKs ask for base64 by default and decode it themselves.
    this.base64 = req.encoding_format === 'base64';
    return {
      path: modelPath(this.modelId, 'invoke'),
      body: Buffer.from(JSON.stringify(titan)),
      setHeaders: converseHeaders(false),
      removeHeaders: REMOVE_REQUEST_HEADERS,
      model: this.modelId,
      stream: false,
    };
  }

  protected plain(json: unknown): unknown {
    const res = json as TitanEmbeddingResponse;
    if (!Array.isArray(res?.embedding)) throw new GatewayError('upstream_response_invalid', 'Titan embedding response has no embedding array');
    const tokens = typeof res.inputTextTokenCount === 'number' ? res.inputTextTokenCount : undefined;
    if (tokens !== undefined) this.seenUsage = { inputTokens: tokens, outputTokens: 0, totalTokens: tokens };
    const embedding = this.base64 ? Buffer.from(new Float32Array(res.embedding).buffer).toString('base64') : res.embedding;
    const out: EmbeddingsResponse = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding }],
      model: this.modelId!,
      usage: { prompt_tokens: tokens ?? 0, total_tokens: tokens ?? 0 },
    };
    return out;
  }

  protected streamRenderer(): undefined {
    return undefined;
  }
}

/** Bedrock embeds through Titan's text models only (Gemini clients too, bedrock/gemini-embeddings.ts). */
export function requireTitan(modelId: string): string {
  if (!/titan-embed-(text|g1-text)/.test(modelId)) {
    throw new GatewayError('unsupported_field', `Bedrock embeddings are served through Amazon Titan text embedding models (amazon.titan-embed-text-v2:0), not ${modelId}`, 'model');
  }
  return modelId;
}

function singleInput(input: unknown): string {
  if (typeof input === 'string') return input;
  if (Array.isArray(input) && input.length === 1 && typeof input[0] === 'string') return input[0];
  if (Array.isArray(input) && input.every((v) => typeof v === 'string')) {
    throw new GatewayError('unsupported_field', `Titan embeds one text per request; input holds ${input.length} (send them one by one)`, 'input');
  }
  throw new GatewayError('unsupported_field', 'Titan embeds text only: input must be a string (token arrays are not supported)', 'input');
}
