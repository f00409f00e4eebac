// Gemini's embedContent (and a batchEmbedContents of one request) in, Amazon Titan Text
// Embeddings through InvokeModel out. Titan embeds one text per request, so a batch of more
// is a 400 naming `requests` rather than a fan-out the gateway would have to bill and order;
// outputDimensionality is Titan v2's `dimensions`; taskType and title have no Titan
// counterpart and are refused (../shared/gemini-embed.ts). Titan's inputTextTokenCount is the usage.
import { type EmbedVectors, embedUsage, GeminiEmbedTranslator, type GeminiEmbedTarget, readGeminiEmbed } from '../shared/gemini-embed.js';
import type { UpstreamRequest } from '../types.js';
import type { TitanEmbeddingRequest, TitanEmbeddingResponse } from './converse-types.js';
import { requireTitan } from './openai-embeddings.js';
import { converseHeaders, modelPath, REMOVE_REQUEST_HEADERS } from './shared.js';

const TITAN: GeminiEmbedTarget = { api: 'Amazon Titan text embeddings', dimensions: true, maxTexts: 1 };

export class BedrockGeminiEmbeddings extends GeminiEmbedTranslator {
  request(body: unknown): UpstreamRequest {
    const input = readGeminiEmbed(this.ctx, body, TITAN);
    const modelId = requireTitan(input.model);
    this.input = { ...input, model: modelId };
    const titan: TitanEmbeddingRequest = { inputText: input.entries[0]!.text };
    if (input.dimensions !== undefined) titan.dimensions = input.dimensions;
    return {
      path: modelPath(modelId, 'invoke'),
      body: Buffer.from(JSON.stringify(titan)),
      setHeaders: converseHeaders(false),
      removeHeaders: [...REMOVE_REQUEST_HEADERS, 'x-goog-api-client'],
      model: modelId,
      stream: false,
    };
  }

  protected vectors(body: unknown): EmbedVectors {
    const res = body as TitanEmbeddingResponse | null;
    const tokens = res?.inputTextTokenCount;
    return { vectors: Array.isArray(res?.embedding) ? [res.embedding] : [], usage: embedUsage(typeof tokens === 'number' ? tokens : undefined) };
  }
}
