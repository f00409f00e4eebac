// Token usage as every translator reports it; keys mirror the llm_extproc metadata.
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
  /** True when counted with a tokenizer rather than reported by the provider. */
  estimated?: boolean;
}
