// Embeddings on Vertex AI: a text-embedding model's :predict (instances -> predictions),
// for OpenAI clients (OpenAI embeddings in) and Gemini clients (embedContent and
// batchEmbedContents in, whose taskType and title are the instances' task_type and title,
// and outputDimensionality the parameters'). Vertex embeds through the prediction API, and,
// unlike AI Studio, reports a token count per input, which becomes the usage.
import type { Usage } from '../../usage/types.js';
import { EmbeddingsTranslator, readEmbeddingsRequest } from '../gemini/embeddings.js';
import { type EmbedVectors, embedUsage, GeminiEmbedTranslator, type GeminiEmbedTarget, readGeminiEmbed } from '../shared/gemini-embed.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { modelPath } from './target.js';

interface PredictResponse {
  predictions?: { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[];
}

interface PredictInstance {
  content: string;
  task_type?: string;
  title?: string;
}

/** The vectors of a :predict answer, in instance order, and their token counts summed. */
function predictVectors(body: unknown): { vectors: number[][]; usage?: Usage } {
  const predictions = (body as PredictResponse | null)?.predictions ?? [];
  let tokens: number | undefined;
  const vectors = predictions.map((p) => {
    const count = p?.embeddings?.statistics?.token_count;
    if (typeof count === 'number') tokens = (tokens ?? 0) + count;
    return p?.embeddings?.values as number[];
  });
  return { vectors, usage: embedUsage(tokens) };
}

function predictRequest(ctx: TranslationContext, model: string, instances: PredictInstance[], dimensions: number | undefined): UpstreamRequest {
  const upstream = { instances, ...(dimensions !== undefined ? { parameters: { outputDimensionality: dimensions } } : {}) };
  return {
    path: `${modelPath(ctx.options, 'google', model)}:predict`,
    body: Buffer.from(JSON.stringify(upstream)),
    removeHeaders: ['accept-encoding'],
    model,
    stream: false,
  };
}

export class OpenAIEmbeddingsToVertex extends EmbeddingsTranslator {
  constructor(private readonly ctx: TranslationContext) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    const input = readEmbeddingsRequest(this.ctx, body);
    this.input = input;
    return predictRequest(this.ctx, input.model, input.texts.map((content) => ({ content })), input.dimensions);
  }

  protected vectors(body: unknown): { vectors: number[][]; usage?: Usage } {
    return predictVectors(body);
  }
}

const PREDICT: GeminiEmbedTarget = { api: "Vertex AI's text embedding models", taskType: true, title: true, dimensions: true };

export class GeminiEmbedToVertex extends GeminiEmbedTranslator {
  request(body: unknown): UpstreamRequest {
    const input = readGeminiEmbed(this.ctx, body, PREDICT);
    this.input = input;
    const instances = input.entries.map((e) => ({
      content: e.text,
      ...(e.taskType !== undefined ? { task_type: e.taskType } : {}),
      ...(e.title !== undefined ? { title: e.title } : {}),
    }));
    return predictRequest(this.ctx, input.model, instances, input.dimensions);
  }

  protected vectors(body: unknown): EmbedVectors {
    return predictVectors(body);
  }
}
