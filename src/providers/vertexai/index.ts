// Google Cloud Vertex AI: Gemini models through the Gemini translators with Vertex
// paths (OpenAI chat and Responses, Anthropic and Gemini clients alike), Claude models through the Anthropic provider's translators with Vertex's
// rawPredict body rules, OpenAI and Gemini embeddings through :predict. Token counts go to a
// Gemini model's :countTokens; for Claude models the gateway estimates them. Requests carry an
// OAuth2 token (service-account key or Application Default Credentials), no static key.
import { z } from 'zod';
import { missingSecret, type SecretSource } from '../../auth/secrets.js';
import { geminiTranslator } from '../gemini/index.js';
import { ResponsesInputTokensToGemini } from '../gemini/responses-input-tokens.js';
import { GeminiSameDialect } from '../gemini/same-dialect.js';
import { bareModel, requireModel } from '../gemini/target.js';
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import { ANTHROPIC_RESPONSES } from '../anthropic/from-responses-request.js';
import { DelegatingTranslator } from '../shared/delegate.js';
import { ResponsesOverChat } from '../shared/responses-over-chat.js';
import { EstimatedAnthropicTokenCount, EstimatedGeminiTokenCount, EstimatedResponsesTokenCount } from '../shared/estimated-count.js';
import type { ProviderSpec, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { VertexClaudeFromAnthropic, VertexClaudeFromOpenAI } from './anthropic.js';
import { vertexAuthorizer } from './auth.js';
import { GeminiEmbedToVertex, OpenAIEmbeddingsToVertex } from './embeddings.js';
import { publisherOf, PUBLISHERS, vertexEndpoint, vertexGeminiTarget } from './target.js';

const SecretSource = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

/**
 * Which translator serves a request can depend on the model, and an OpenAI
 * client names it in the body: the choice waits for request(). The rest delegates.
 */
class VertexTranslator extends DelegatingTranslator {
  constructor(
    private readonly ctx: TranslationContext,
    private readonly pick: (body: unknown) => Translator,
  ) {
    super();
  }

  request(body: unknown, raw: Buffer | undefined): UpstreamRequest {
    const inner = this.pick(body);
    this.inner = inner;
    // Client keys are stripped where the token is set (the processor's upstream headers).
    return inner.request(body, raw);
  }
}

/** The model a Gemini-dialect path runs on (the route's or backend's first) is a Claude model. */
function claudeInPath(ctx: TranslationContext): boolean {
  const model = ctx.model ?? matchGeminiPath(ctx.path)?.pathModel;
  return model !== undefined && model !== '' && publisherOf(ctx.options, bareModel(model)) === 'anthropic';
}

function translator(ctx: TranslationContext): Translator | undefined {
  const fixed = ctx.options.publisher;
  const gemini = vertexGeminiTarget(ctx.options);
  switch (ctx.dialect) {
    case 'gemini':
      // countTokens for a Claude model: estimated by the gateway, answered as {totalTokens}.
      if (ctx.operation === 'other' && claudeInPath(ctx)) return new EstimatedGeminiTokenCount(ctx);
      // Otherwise Gemini's dialect only reaches Gemini models: generateContent, streamGenerateContent
      // and countTokens natively, embedContent and batchEmbedContents through :predict.
      if (fixed === 'anthropic') return undefined;
      if (ctx.operation === 'embeddings') return new GeminiEmbedToVertex(ctx);
      return new VertexTranslator(ctx, () => new GeminiSameDialect(ctx, gemini));
    case 'anthropic':
      if (ctx.operation !== 'chat' && ctx.operation !== 'other') return undefined;
      // Claude models take the Messages body natively (count_tokens is not offered there); Gemini models by translation.
      return new VertexTranslator(ctx, (body) => {
        const model = requireModel(ctx, (body as { model?: unknown } | undefined)?.model);
        if (publisherOf(ctx.options, model) === 'anthropic') {
          // count_tokens for Claude here is estimated by the gateway (x-llm-tokens-estimated: true).
          return ctx.operation === 'chat' ? new VertexClaudeFromAnthropic(ctx) : new EstimatedAnthropicTokenCount(ctx);
        }
        return geminiTranslator(ctx, gemini)!;
      });
    case 'openai':
      if (ctx.operation === 'embeddings') return fixed === 'anthropic' ? undefined : new VertexTranslator(ctx, () => new OpenAIEmbeddingsToVertex(ctx));
      if (ctx.operation !== 'chat' && ctx.operation !== 'responses' && ctx.operation !== 'other') return undefined;
      return new VertexTranslator(ctx, (body) => {
        const model = requireModel(ctx, (body as { model?: unknown } | undefined)?.model);
        // 'other' is the Responses API's input_tokens: a Gemini model's :countTokens, else estimated.
        if (ctx.operation === 'other') return publisherOf(ctx.options, model) === 'anthropic' ? new EstimatedResponsesTokenCount(ctx) : new ResponsesInputTokensToGemini(ctx, gemini);
        if (publisherOf(ctx.options, model) !== 'anthropic') return geminiTranslator(ctx, gemini)!;
        // Responses reach Claude through its OpenAI chat translator, as they reach Gemini.
        return ctx.operation === 'chat' ? new VertexClaudeFromOpenAI(ctx) : new ResponsesOverChat(new VertexClaudeFromOpenAI(ctx), ANTHROPIC_RESPONSES);
      });
  }
}

export const vertexai: ProviderSpec = {
  name: 'vertexai',
  telemetryName: 'gcp.vertex_ai',
  options: {
    projectId: z.string().min(1),
    location: z.string().min(1),
    serviceAccountKey: SecretSource.optional(),
    tokenEndpoint: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL').optional(),
    publisher: z.enum(PUBLISHERS).optional(),
  },
  defaultEndpoint: vertexEndpoint,
  credentialWarnings(options) {
    const source = options.serviceAccountKey as SecretSource | undefined;
    if (!source) return [];
    const why = missingSecret(source);
    return why ? [`serviceAccountKey: ${why}`] : [];
  },
  nativeDialect: 'gemini',
  nativeOperation: 'chat',
  authorizer: vertexAuthorizer,
  translator,
};
