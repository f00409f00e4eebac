// Token usage as every translator reports it; keys mirror the llm_extproc metadata.
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** Of the input, tokens read from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Of the input, tokens written to the provider's prompt cache (Anthropic, Bedrock; OpenAI and Gemini report none). */
  cacheWriteInputTokens?: number;
  reasoningTokens?: number;
  /** True when counted with a tokenizer rather than reported by the provider. */
  estimated?: boolean;
}
