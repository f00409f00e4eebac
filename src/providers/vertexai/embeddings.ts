// OpenAI embeddings in, a Vertex AI text-embedding model's :predict out. Vertex
// embeds through the prediction API (instances -> predictions), and, unlike AI
// Studio, reports a token count per input, which becomes the usage.
import type { Usage } from '../../usage/types.js';
import { EmbeddingsTranslator, readEmbeddingsRequest } from '../gemini/embeddings.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { modelPath } from './target.js';

interface PredictResponse {
  predictions?: { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[];
}

export class OpenAIEmbeddingsToVertex extends EmbeddingsTranslator {
  constructor(private readonly ctx: TranslationContext) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    const input = readEmbeddingsRequest(this.ctx, body);
    this.input = input;
    const upstream = {
      instances: input.texts.map((content) => ({ content })),
      ...(input.dimensions !== undefined ? { parameters: { outputDimensionality: input.dimensions } } : {}),
    };
    return {
      path: `${modelPath(this.ctx.options, 'google', input.model)}:predict`,
      body: Buffer.from(JSON.stringify(upstream)),
      removeHeaders: ['accept-encoding'],
      model: input.model,
      stream: false,
    };
  }

  protected vectors(body: unknown): { vectors: number[][]; usage?: Usage } {
    const predictions = (body as PredictResponse)?.predictions ?? [];
    let tokens: number | undefined;
    const vectors = predictions.map((p) => {
      const count = p?.embeddings?.statistics?.token_count;
      if (typeof count === 'number') tokens = (tokens ?? 0) + count;
      return p?.embeddings?.values as number[];
    });
    return { vectors, usage: tokens === undefined ? undefined : { inputTokens: tokens, totalTokens: tokens } };
  }
}
