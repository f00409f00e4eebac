// Gemini's embedContent / batchEmbedContents in, OpenAI's /v1/embeddings out (OpenAI, an
// OpenAI-compatible server, or an Azure OpenAI deployment through `path`). Every text goes in
// one request as `input`, outputDimensionality as `dimensions`; taskType and title have no
// OpenAI counterpart and are refused (../shared/gemini-embed.ts). The answer's vectors come
// back in `index` order, its prompt_tokens as the usage.
import type { EmbeddingsResponse } from '../../dialects/openai/types.js';
import { withBasePath } from '../shared/base-path.js';
import { type EmbedVectors, embedUsage, GeminiEmbedTranslator, type GeminiEmbedTarget, readGeminiEmbed } from '../shared/gemini-embed.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';

const OPENAI_EMBEDDINGS: GeminiEmbedTarget = { api: "OpenAI's embeddings API", dimensions: true };

export interface OpenAIEmbedHooks {
  /** Full upstream path with query, for servers that route by path (Azure deployments). */
  path?: (model: string) => string;
  /** The model the body names, given the request's (Azure: the deployment). */
  model?: (model: string) => string;
}

export class GeminiEmbedToOpenAI extends GeminiEmbedTranslator {
  constructor(
    ctx: TranslationContext,
    private readonly hooks: OpenAIEmbedHooks = {},
  ) {
    super(ctx);
  }

  request(body: unknown): UpstreamRequest {
    const input = readGeminiEmbed(this.ctx, body, OPENAI_EMBEDDINGS);
    const model = this.hooks.model?.(input.model) ?? input.model;
    this.input = { ...input, model };
    const upstream = {
      model,
      input: input.entries.map((e) => e.text),
      // Gemini clients read floats; the SDKs' base64 default is theirs, not Google's.
      encoding_format: 'float',
      ...(input.dimensions !== undefined ? { dimensions: input.dimensions } : {}),
    };
    return {
      path: this.hooks.path?.(model) ?? withBasePath(this.ctx.backend, '/v1/embeddings'),
      body: Buffer.from(JSON.stringify(upstream)),
      // Gemini clients' own key and API headers mean nothing here; the body is read, so no compression.
      removeHeaders: ['accept-encoding', 'x-goog-api-client'],
      model,
      stream: false,
    };
  }

  protected vectors(body: unknown): EmbedVectors {
    const res = body as Partial<EmbeddingsResponse> | null;
    const data = Array.isArray(res?.data) ? [...res.data] : [];
    data.sort((a, b) => (a?.index ?? 0) - (b?.index ?? 0));
    const prompt = res?.usage?.prompt_tokens;
    return { vectors: data.map((d) => d?.embedding as number[]), usage: embedUsage(typeof prompt === 'number' ? prompt : undefined) };
  }
}
