// A whole OpenAI chat.completion (or error) -> Anthropic's message (or error)
// shape, for Anthropic-dialect clients of OpenAI models. Usage is re-split the
// Anthropic way: OpenAI's prompt_tokens include cached tokens, Anthropic's
// input_tokens do not (they are reported as cache_read_input_tokens).
import { anthropicErrorType } from '../../dialects/anthropic/index.js';
import type { AnthropicUsage, ContentBlock, ErrorBody, Message } from '../../dialects/anthropic/types.js';
import type { ChatCompletion, ChatUsage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { toAnthropicStopReason } from '../anthropic/stop-reasons.js';
import { upstreamErrorMessage } from '../shared/body.js';

type CompletionMessage = ChatCompletion['choices'][number]['message'] & { reasoning_content?: unknown; reasoning?: unknown };

export function toAnthropicMessage(c: ChatCompletion): Message {
  const choice = Array.isArray(c?.choices) ? c.choices[0] : undefined;
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new GatewayError('upstream_response_invalid', 'the provider answered with a chat completion without a choice');
  }
  const m = choice.message as CompletionMessage;
  const content: ContentBlock[] = [];
  // Compatible servers (DeepSeek, vLLM, Ollama) return a reasoning model's thoughts beside the answer.
  const reasoning = reasoningText(m);
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = (m.content ?? '') + (m.refusal ?? '');
  if (text !== '') content.push({ type: 'text', text });
  for (const call of m.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseToolArguments(call.function.arguments) });
  }
  return {
    id: c.id,
    type: 'message',
    role: 'assistant',
    model: c.model,
    content,
    stop_reason: toAnthropicStopReason(choice.finish_reason),
    stop_sequence: null,
    usage: toAnthropicUsage(c.usage),
  };
}

export function reasoningText(m: { reasoning_content?: unknown; reasoning?: unknown }): string | undefined {
  const r = m.reasoning_content ?? m.reasoning;
  return typeof r === 'string' && r !== '' ? r : undefined;
}

/** Tool arguments as the object Anthropic's tool_use.input is; a model that wrote broken JSON cannot be translated. */
export function parseToolArguments(args: unknown): unknown {
  // A few compatible servers send the arguments as an object already.
  if (args !== null && typeof args === 'object') return args;
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    throw new GatewayError('upstream_response_invalid', 'the model returned tool call arguments that are not JSON');
  }
}

export function toAnthropicUsage(u: ChatUsage | null | undefined): AnthropicUsage {
  const prompt = u?.prompt_tokens ?? 0;
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** An OpenAI error body (any status) -> Anthropic's error JSON; a body that is not JSON keeps its text. */
export function toAnthropicError(status: number, body: Buffer): Buffer {
  return Buffer.from(JSON.stringify(anthropicErrorBody(anthropicErrorType(status), upstreamErrorMessage(status, body))));
}

export function anthropicErrorBody(type: string, message: string): ErrorBody {
  return { type: 'error', error: { type, message } };
}
