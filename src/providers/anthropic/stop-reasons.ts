// Why a turn ended, both ways between Anthropic's stop_reason and OpenAI's
// finish_reason. Anthropic distinguishes more cases than OpenAI, so the reverse
// direction is lossy by nature (a "stop" cannot tell end_turn from stop_sequence).
import type { StopReason } from '../../dialects/anthropic/types.js';
import type { FinishReason } from '../../dialects/openai/types.js';

const TO_OPENAI: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  // A paused server-tool loop: the turn is over from the client's side.
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Anthropic stop_reason -> OpenAI finish_reason; unknown future reasons read as "stop". */
export function toOpenAIFinishReason(reason: string | null | undefined): FinishReason | null {
  if (reason === null || reason === undefined) return null;
  return TO_OPENAI[reason] ?? 'stop';
}

const TO_ANTHROPIC: Record<string, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/** OpenAI finish_reason -> Anthropic stop_reason; unknown reasons read as end_turn. */
export function toAnthropicStopReason(reason: string | null | undefined): StopReason | null {
  if (reason === null || reason === undefined) return null;
  return TO_ANTHROPIC[reason] ?? 'end_turn';
}
