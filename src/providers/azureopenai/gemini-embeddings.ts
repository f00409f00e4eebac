// Gemini's embedContent / batchEmbedContents on Azure OpenAI: the OpenAI provider's
// translation (../openai/gemini-embeddings.ts) sent to a deployment's /embeddings. The
// deployment is chosen as for every other request (translator.ts): the backend's or
// route's, else the model the client's path names; the API version is the backend's, else
// the GA default (a Gemini client's query parameters mean nothing to Azure).
import { GeminiEmbedToOpenAI } from '../openai/gemini-embeddings.js';
import type { TranslationContext } from '../types.js';
import { DEFAULT_API_VERSION } from './translator.js';

export function geminiEmbedToAzure(ctx: TranslationContext): GeminiEmbedToOpenAI {
  const deployment = (model: string) => nonEmpty(ctx.options.deployment) ?? model;
  const version = nonEmpty(ctx.options.apiVersion) ?? DEFAULT_API_VERSION;
  return new GeminiEmbedToOpenAI(ctx, {
    model: deployment,
    path: (d) => `/openai/deployments/${encodeURIComponent(d)}/embeddings?${new URLSearchParams({ 'api-version': version })}`,
  });
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
