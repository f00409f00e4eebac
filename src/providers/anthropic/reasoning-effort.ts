// OpenAI's `reasoning_effort` -> Claude's extended thinking (`thinking: {type: enabled,
// budget_tokens}`), for every "OpenAI client, Claude model" path (Anthropic, Vertex AI,
// Bedrock Converse). Claude needs a budget of at least 1024 tokens, below max_tokens, and
// spends it out of max_tokens, as OpenAI's reasoning models spend theirs out of
// max_completion_tokens: a client's limit keeps bounding thinking and answer together.
import { GatewayError } from '../../errors.js';

/** Anthropic's documented minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * The budget each effort thinks with: the minimum for `minimal`, then steps that stay inside
 * the bands the reverse mapping (Anthropic client, OpenAI model) reads a budget in.
 */
export const EFFORT_BUDGETS: Readonly<Record<string, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

export interface ThinkingPlan {
  thinking?: { type: 'enabled'; budget_tokens: number };
  /** max_tokens to send (the client's, or the budget plus the usual answer room when it named none). */
  maxTokens: number | undefined;
}

/**
 * @param maxTokens the client's limit (max_completion_tokens ?? max_tokens), undefined when it named none
 * @param answerRoom tokens left for the answer above the budget when the client named no limit
 * @param inToolLoop the conversation ends in tool results answering the last assistant turn: Claude
 *   would insist on that turn's signed thinking blocks, which an OpenAI client cannot send back,
 *   so this request goes without thinking (it resumes on the next user turn)
 */
export function thinkingFromEffort(effort: unknown, maxTokens: number | undefined, answerRoom: number, inToolLoop: boolean): ThinkingPlan {
  if (effort === undefined || effort === null || effort === 'none') return { maxTokens };
  const budget = typeof effort === 'string' ? EFFORT_BUDGETS[effort] : undefined;
  if (budget === undefined) {
    throw new GatewayError('unsupported_field', `reasoning_effort ${JSON.stringify(effort)} has no Claude thinking budget (none, minimal, low, medium or high)`, 'reasoning_effort');
  }
  if (inToolLoop) return { maxTokens };
  if (maxTokens === undefined) return { thinking: { type: 'enabled', budget_tokens: budget }, maxTokens: budget + answerRoom };
  if (maxTokens > budget) return { thinking: { type: 'enabled', budget_tokens: budget }, maxTokens };
  // The client's limit is below the effort's budget: half of it thinks, half answers.
  const fitted = Math.floor(maxTokens / 2);
  if (fitted < MIN_THINKING_BUDGET) {
    throw new GatewayError(
      'unsupported_field',
      `reasoning_effort "${effort}" needs a token limit above ${2 * MIN_THINKING_BUDGET - 1} on Claude (its thinking budget is at least ${MIN_THINKING_BUDGET} tokens, spent out of the limit), not ${maxTokens}`,
      'reasoning_effort',
    );
  }
  return { thinking: { type: 'enabled', budget_tokens: fitted }, maxTokens };
}
