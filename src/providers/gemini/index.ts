// Google AI Studio's Gemini API: `x-goog-api-key`, the Gemini dialect natively,
// OpenAI chat (and Responses, over it; its input_tokens as countTokens)/embeddings translated to
// generateContent / countTokens / batchEmbedContents, and Anthropic Messages (and count_tokens)
// translated to generateContent / countTokens.
import { z } from 'zod';
import { ResponsesOverChat } from '../shared/responses-over-chat.js';
import type { ProviderSpec, TranslationContext, Translator } from '../types.js';
import { OpenAIEmbeddingsToGemini } from './embeddings.js';
import { AnthropicCountTokensToGemini, AnthropicToGemini } from './from-anthropic.js';
import { OpenAIChatToGemini } from './openai-chat.js';
import { GEMINI_RESPONSES, ResponsesInputTokensToGemini } from './responses-input-tokens.js';
import { GeminiSameDialect } from './same-dialect.js';
import { aiStudioTarget, GEMINI_API_VERSIONS, type GeminiTarget } from './target.js';

/**
 * The translators every Gemini-speaking provider shares, given where requests go.
 * Vertex AI reuses this with its own target.
 */
export function geminiTranslator(ctx: TranslationContext, target: GeminiTarget): Translator | undefined {
  if (ctx.dialect === 'gemini') return new GeminiSameDialect(ctx, target);
  if (ctx.dialect === 'openai' && ctx.operation === 'chat') return new OpenAIChatToGemini(ctx, target);
  // The Responses API through the chat translator (../shared/responses-over-chat.ts).
  if (ctx.dialect === 'openai' && ctx.operation === 'responses') return new ResponsesOverChat(new OpenAIChatToGemini(ctx, target), GEMINI_RESPONSES);
  // 'other' is the Responses API's /v1/responses/input_tokens: counted by countTokens.
  if (ctx.dialect === 'openai' && ctx.operation === 'other' && target.methods.has('countTokens')) return new ResponsesInputTokensToGemini(ctx, target);
  if (ctx.dialect === 'openai' && ctx.operation === 'embeddings' && target.methods.has('batchEmbedContents')) return new OpenAIEmbeddingsToGemini(ctx, target);
  if (ctx.dialect === 'anthropic' && ctx.operation === 'chat') return new AnthropicToGemini(ctx, target);
  // 'other' is Anthropic's /v1/messages/count_tokens: Gemini's countTokens answers it.
  if (ctx.dialect === 'anthropic' && ctx.operation === 'other') return new AnthropicCountTokensToGemini(ctx, target);
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
