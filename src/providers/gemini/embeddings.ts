// OpenAI embeddings in, Gemini batchEmbedContents out: one request entry per input
// string, vectors back as OpenAI's list (floats, or base64 little-endian float32
// when asked, which is what the OpenAI Node SDK asks for by default).
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../dialects/openai/types.js';
import type { BatchEmbedContentsRequest, BatchEmbedContentsResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import type { Usage } from '../../usage/types.js';
import { WholeAnswerTranslator } from '../shared/whole-answer.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { googleErrorToOpenAI } from './errors.js';
import { type GeminiTarget, requireModel } from './target.js';
import { fromGeminiUsage } from './usage.js';

const KNOWN = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

export interface EmbeddingsInput {
  model: string;
  texts: string[];
  base64: boolean;
  dimensions?: number;
}

/** Reads and checks an OpenAI embeddings request; token-id inputs have no Gemini counterpart. */
export function readEmbeddingsRequest(ctx: TranslationContext, body: unknown): EmbeddingsInput {
  if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'an embeddings request needs a JSON body');
  const req = body as EmbeddingsRequest & Record<string, unknown>;
  for (const [key, value] of Object.entries(req)) {
    if (value !== null && value !== undefined && !KNOWN.has(key)) throw new GatewayError('unsupported_field', `${key} has no Gemini counterpart`, key);
  }
  const model = requireModel(ctx, req.model);
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t): t is string => typeof t === 'string')) {
    throw new GatewayError('unsupported_field', 'input must be a string or an array of strings; Gemini does not take token ids', 'input');
  }
  if (req.encoding_format !== undefined && req.encoding_format !== null && req.encoding_format !== 'float' && req.encoding_format !== 'base64') {
    throw new GatewayError('unsupported_field', `encoding_format ${JSON.stringify(req.encoding_format)} is not float or base64`, 'encoding_format');
  }
  return { model, texts, base64: req.encoding_format === 'base64', ...(typeof req.dimensions === 'number' ? { dimensions: req.dimensions } : {}) };
}

export function embeddingsList(vectors: number[][], input: EmbeddingsInput, usage: Usage | undefined): EmbeddingsResponse {
  const prompt = usage?.inputTokens ?? 0;
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: input.base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
    })),
    model: input.model,
    usage: { prompt_tokens: prompt, total_tokens: usage?.totalTokens ?? prompt },
  };
}

/** Shared response half of the OpenAI-client embeddings translators: errors in OpenAI's shape, vectors checked and listed. */
export abstract class EmbeddingsTranslator extends WholeAnswerTranslator {
  protected input: EmbeddingsInput | undefined;
  protected seenUsage: Usage = {};

  /** The vectors (in input order) and usage of a 2xx upstream body. */
  protected abstract vectors(body: unknown): { vectors: number[][]; usage?: Usage };

  protected error(status: number, body: Buffer): Buffer {
    return googleErrorToOpenAI(status, body);
  }

  protected rewrite(json: unknown): unknown {
    const { vectors, usage } = this.vectors(json);
    if (vectors.length !== this.input!.texts.length || !vectors.every((v) => Array.isArray(v))) {
      throw new GatewayError('upstream_response_invalid', `the embeddings response holds ${vectors.length} vectors for ${this.input!.texts.length} inputs`);
    }
    if (usage) this.seenUsage = usage;
    return embeddingsList(vectors, this.input!, usage);
  }

  override usage(): Usage {
    return this.seenUsage;
  }

  override responseModel(): string | undefined {
    return this.input?.model;
  }
}

export class OpenAIEmbeddingsToGemini extends EmbeddingsTranslator {
  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
  ) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    const input = readEmbeddingsRequest(this.ctx, body);
    this.input = input;
    const name = this.target.embedModelName(input.model);
    const upstream: BatchEmbedContentsRequest = {
      requests: input.texts.map((text) => ({
        model: name,
        content: { parts: [{ text }] },
        ...(input.dimensions !== undefined ? { outputDimensionality: input.dimensions } : {}),
      })),
    };
    return {
      path: this.target.path(input.model, 'batchEmbedContents'),
      body: Buffer.from(JSON.stringify(upstream)),
      removeHeaders: ['accept-encoding'],
      model: input.model,
      stream: false,
    };
  }

  protected vectors(body: unknown): { vectors: number[][]; usage?: Usage } {
    const res = body as BatchEmbedContentsResponse;
    const vectors = (res?.embeddings ?? []).map((e) => e?.values as number[]);
    // batchEmbedContents reports no usage today; count it if Google starts to.
    return { vectors, usage: fromGeminiUsage(res?.usageMetadata) };
  }
}
