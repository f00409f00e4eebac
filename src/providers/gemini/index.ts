// Google AI Studio's Gemini API: `x-goog-api-key`, the Gemini dialect natively,
// and OpenAI chat/embeddings translated to generateContent / batchEmbedContents.
import { z } from 'zod';
import type { ProviderSpec, TranslationContext, Translator } from '../types.js';
import { OpenAIEmbeddingsToGemini } from './embeddings.js';
import { OpenAIChatToGemini } from './openai-chat.js';
import { GeminiSameDialect } from './same-dialect.js';
import { aiStudioTarget, GEMINI_API_VERSIONS, type GeminiTarget } from './target.js';

/**
 * The translators every Gemini-speaking provider shares, given where requests go.
 * Vertex AI reuses this with its own target.
 */
export function geminiTranslator(ctx: TranslationContext, target: GeminiTarget): Translator | undefined {
  if (ctx.dialect === 'gemini') return new GeminiSameDialect(ctx, target);
  if (ctx.dialect === 'openai' && ctx.operation === 'chat') return new OpenAIChatToGemini(ctx, target);
  if (ctx.dialect === 'openai' && ctx.operation === 'embeddings' && target.methods.has('batchEmbedContents')) return new OpenAIEmbeddingsToGemini(ctx, target);
  return undefined;
}

export const gemini: ProviderSpec = {
  name: 'gemini',
  telemetryName: 'gcp.gemini',
  options: {
    apiVersion: z.enum(GEMINI_API_VERSIONS).optional(),
  },
  defaultEndpoint: () => 'https://generativelanguage.googleapis.com',
  authPlacement: { headerName: 'x-goog-api-key', prefix: '' },
  nativeDialect: 'gemini',
  nativeOperation: 'chat',
  translator: (ctx) => geminiTranslator(ctx, aiStudioTarget(ctx.options)),
};
