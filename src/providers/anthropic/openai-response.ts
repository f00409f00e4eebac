// A whole Anthropic Messages response (or error) -> OpenAI's chat.completion (or
// error) shape. Text blocks become the message content, tool_use blocks its
// tool_calls; thinking blocks (reasoning_effort turns thinking on) have no place in
// Chat Completions and are left out, unless `reasoning` is set (the Responses adapter
// over Claude on Vertex, which makes a reasoning item of it): then their text is the
// message's `reasoning_content`; signatures and redacted blocks never go out.
// completion_tokens_details.reasoning_tokens stays absent: Anthropic counts thinking
// inside output_tokens without a split.
import { anthropicErrorType } from '../../dialects/anthropic/index.js';
import type { AnthropicUsage, Message } from '../../dialects/anthropic/types.js';
import type { ChatCompletion, ChatToolCall, ChatUsage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { toOpenAIFinishReason } from './stop-reasons.js';

/** @param reasoning write thinking text as the message's reasoning_content (for the Responses adapter only) */
export function toOpenAICompletion(msg: Message, created: number, reasoning = false): ChatCompletion {
  if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
    throw new GatewayError('upstream_response_invalid', 'the provider answered with a body that is not an Anthropic message');
  }
  let text: string | null = null;
  let thinking = '';
  const calls: ChatToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === 'text' && typeof block.text === 'string') text = (text ?? '') + block.text;
    else if (block.type === 'thinking') thinking += String((block as { thinking?: unknown }).thinking ?? '');
    else if (block.type === 'tool_use') {
      const b = block as { id: string; name: string; input: unknown };
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    }
  }
  const message: ChatCompletion['choices'][number]['message'] & { reasoning_content?: string } = { role: 'assistant', content: text, refusal: null };
  if (reasoning && thinking !== '') message.reasoning_content = thinking;
  if (calls.length > 0) message.tool_calls = calls;
  const out: ChatCompletion = {
    id: msg.id,
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(msg.stop_reason) }],
  };
  const usage = toOpenAIUsage(msg.usage);
  if (usage) out.usage = usage;
  return out;
}

/** Anthropic's usage in OpenAI's terms: prompt tokens include cache reads and writes. */
export function toOpenAIUsage(u: AnthropicUsage | undefined): ChatUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const cached = n(u.cache_read_input_tokens);
  const prompt = n(u.input_tokens) + n(u.cache_creation_input_tokens) + cached;
  const completion = n(u.output_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

/** An Anthropic error body (any status) -> OpenAI's error JSON; a body that is not JSON keeps its text as the message. */
export function toOpenAIError(status: number, body: Buffer): Buffer {
  const text = body.toString('utf8');
  let type = anthropicErrorType(status);
  let message = text.trim().slice(0, 2000) || `upstream returned HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    if (typeof parsed.error?.type === 'string') type = parsed.error.type;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // An HTML error page from a proxy in between: its text is the best message there is.
  }
  return Buffer.from(JSON.stringify(openAIErrorObject(type, message)));
}

/** OpenAI's error object for an Anthropic error type (also used inside streams). */
export function openAIErrorObject(type: string, message: string): { error: { message: string; type: string; param: null; code: string } } {
  return { error: { message, type, param: null, code: type } };
}
