// OpenAI's POST /v1/responses/input_tokens answered by a provider's own token counting API
// (Anthropic's count_tokens, Gemini's countTokens): the count comes back as
// `{"object": "response.input_tokens", "input_tokens": N}`; an upstream error keeps its
// status and is given OpenAI's error shape by the subclass. Where the provider has no
// counting API, EstimatedResponsesTokenCount (estimated-count.ts) answers instead.
import { UpstreamTokenCount } from './upstream-count.js';

/** OpenAI's answer to POST /v1/responses/input_tokens. */
export function inputTokensAnswer(n: number): { object: 'response.input_tokens'; input_tokens: number } {
  return { object: 'response.input_tokens', input_tokens: n };
}

export abstract class UpstreamInputTokenCount extends UpstreamTokenCount {
  protected answer(n: number): unknown {
    return inputTokensAnswer(n);
  }
}
