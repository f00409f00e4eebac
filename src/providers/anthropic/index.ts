// Anthropic's Messages API: `x-api-key` (no prefix) plus `anthropic-version`,
// the Anthropic dialect natively, OpenAI Chat Completions, OpenAI's Responses API (and its
// input_tokens, counted by count_tokens) and Gemini's generateContent by translation.
// Mapping pieces other Claude hosts reuse (Vertex AI, Bedrock) are exported here.
import { z } from 'zod';
import { EstimatedGeminiTokenCount } from '../shared/estimated-count.js';
import type { ProviderSpec } from '../types.js';
import { GeminiToAnthropic } from './from-gemini.js';
import { OpenAIToAnthropic } from './from-openai.js';
import { ResponsesToAnthropic } from './from-responses.js';
import { ResponsesInputTokensToAnthropic } from './responses-input-tokens.js';
import { DEFAULT_ANTHROPIC_VERSION } from './headers.js';
import { AnthropicSameDialect } from './same-dialect.js';

export const anthropic: ProviderSpec = {
  name: 'anthropic',
  telemetryName: 'anthropic',
  options: {
    // The `anthropic-version` header sent upstream; when unset the client's own, else 2023-06-01.
    anthropicVersion: z.string().min(1).optional(),
  },
  defaultEndpoint: () => 'https://api.anthropic.com',
  authPlacement: { headerName: 'x-api-key', prefix: '', extraHeaders: { 'anthropic-version': DEFAULT_ANTHROPIC_VERSION } },
  nativeDialect: 'anthropic',
  nativeOperation: 'chat',
  translator(ctx) {
    // 'other' is Anthropic's /v1/messages/count_tokens: same body, no completion.
    if (ctx.dialect === 'anthropic' && (ctx.operation === 'chat' || ctx.operation === 'other')) return new AnthropicSameDialect(ctx);
    if (ctx.dialect === 'openai' && ctx.operation === 'chat') return new OpenAIToAnthropic(ctx);
    if (ctx.dialect === 'openai' && ctx.operation === 'responses') return new ResponsesToAnthropic(ctx);
    // 'other' is the Responses API's /v1/responses/input_tokens: counted by count_tokens.
    if (ctx.dialect === 'openai' && ctx.operation === 'other') return new ResponsesInputTokensToAnthropic(ctx);
    if (ctx.dialect === 'gemini' && ctx.operation === 'chat') return new GeminiToAnthropic(ctx);
    // Gemini's countTokens: estimated by the gateway (x-llm-tokens-estimated: true), answered as {totalTokens}.
    if (ctx.dialect === 'gemini' && ctx.operation === 'other') return new EstimatedGeminiTokenCount(ctx);
    return undefined;
  },
};

export { AnthropicEventReader, parseEventData, type AnthropicEvent } from './events.js';
export { AnthropicResponseObserver, isEncoded } from './observer.js';
export { anthropicHeaders, DEFAULT_ANTHROPIC_VERSION } from './headers.js';
export { imageBlock, parseDataUrl, toAnthropicMessages } from './openai-messages.js';
export { DEFAULT_MAX_TOKENS, toAnthropicRequest, toAnthropicTool, toAnthropicToolChoice, type ToAnthropicOptions } from './openai-request.js';
export { openAIErrorObject, toOpenAICompletion, toOpenAIError, toOpenAIUsage } from './openai-response.js';
export { AnthropicToOpenAIStream, type OpenAIStreamOptions } from './openai-stream.js';
export { toAnthropicStopReason, toOpenAIFinishReason } from './stop-reasons.js';
export { AnthropicToOpenAIResponse } from './to-openai-response.js';
export { AnthropicUsageTracker, fromAnthropicUsage } from './usage.js';
