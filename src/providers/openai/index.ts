// OpenAI and every OpenAI-compatible server (Ollama, vLLM, Mistral, DeepSeek…):
// Bearer key, the OpenAI dialect natively (Chat Completions, the Responses API…);
// Anthropic Messages and Gemini generateContent clients translated to Chat Completions,
// Gemini embedContent / batchEmbedContents to /v1/embeddings.
import { EstimatedAnthropicTokenCount, EstimatedGeminiTokenCount } from '../shared/estimated-count.js';
import type { ProviderSpec } from '../types.js';
import { AnthropicToOpenAI } from './from-anthropic.js';
import { GeminiToOpenAI } from './from-gemini.js';
import { GeminiEmbedToOpenAI } from './gemini-embeddings.js';
import { isResponsesCall, OpenAIResponsesSameDialect } from './responses.js';
import { OpenAISameDialect } from './same-dialect.js';

export const openai: ProviderSpec = {
  name: 'openai',
  telemetryName: 'openai',
  basePath: true,
  options: {},
  defaultEndpoint: () => 'https://api.openai.com',
  authPlacement: { headerName: 'authorization', prefix: 'Bearer ' },
  nativeDialect: 'openai',
  nativeOperation: 'chat',
  translator(ctx) {
    if (ctx.dialect === 'openai' && isResponsesCall(ctx)) return new OpenAIResponsesSameDialect(ctx);
    if (ctx.dialect === 'openai') return new OpenAISameDialect(ctx);
    if (ctx.dialect === 'anthropic' && ctx.operation === 'chat') return new AnthropicToOpenAI(ctx);
    // Anthropic's count_tokens: OpenAI has no such API, so the gateway estimates (x-llm-tokens-estimated: true).
    if (ctx.dialect === 'anthropic' && ctx.operation === 'other') return new EstimatedAnthropicTokenCount(ctx);
    if (ctx.dialect === 'gemini' && ctx.operation === 'chat') return new GeminiToOpenAI(ctx);
    // Gemini's countTokens: estimated the same way, answered as {totalTokens}.
    if (ctx.dialect === 'gemini' && ctx.operation === 'other') return new EstimatedGeminiTokenCount(ctx);
    if (ctx.dialect === 'gemini' && ctx.operation === 'embeddings') return new GeminiEmbedToOpenAI(ctx);
    return undefined;
  },
};
