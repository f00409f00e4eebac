// A whole Anthropic message -> an OpenAI Responses `response` object, and the pieces
// the stream (from-responses-stream.ts) builds the same object from. Consecutive text
// blocks make one `message` output item (Claude splits text at citations), each
// tool_use block one `function_call` item whose call_id is the tool_use id, so the
// client's function_call_output finds its way back. A thinking block (reasoning.effort
// turned thinking on) is a `reasoning` item, its text the summary when the client asked
// for one (`reasoning.summary`), as OpenAI summarizes only then; its signature stays
// behind, as nothing the client sends back is given to Claude again.
//
// The object and its items are built by ../shared/responses-objects.ts, as for every
// provider answering Responses clients.
//
// Ids are derived from the upstream's, not random, so an answer can be traced to the
// Anthropic message it came from: msg_01Abc answers as resp_01Abc with message item
// msg_01Abc, tool_use toolu_01Xyz as function call item fc_01Xyz.
import type { AnthropicUsage, Message } from '../../dialects/anthropic/types.js';
import type { ResponseObject, ResponseOutputItem, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import { functionCallItem, idSuffix, messageItem, reasoningItem, type RequestEcho, responseObject } from '../shared/responses-objects.js';
import { toOpenAIUsage } from './openai-response.js';

/** Anthropic's stop reason as a Responses status (and why it is incomplete). */
export function responseStatus(stopReason: string | null | undefined): { status: ResponseStatus; incomplete_details: { reason: string } | null } {
  if (stopReason === 'max_tokens' || stopReason === 'model_context_window_exceeded') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (stopReason === 'refusal') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Anthropic's usage in Responses terms: input includes cache reads and writes; reasoning tokens are not reported apart. */
export function responsesUsage(u: AnthropicUsage | undefined): ResponsesUsage | null {
  const c = toOpenAIUsage(u);
  if (!c) return null;
  return {
    input_tokens: c.prompt_tokens,
    input_tokens_details: { cached_tokens: c.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: c.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: c.total_tokens,
  };
}

export function toResponseObject(msg: Message, created: number, echo: RequestEcho): ResponseObject {
  if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
    throw new GatewayError('upstream_response_invalid', 'the provider answered with a body that is not an Anthropic message');
  }
  const base = idSuffix(msg.id);
  const output: ResponseOutputItem[] = [];
  let text: { index: number; text: string } | undefined;
  msg.content.forEach((block, i) => {
    if (block.type === 'text' && typeof block.text === 'string') {
      if (!text) {
        text = { index: i, text: '' };
        output.push(messageItem('', '', 'completed'));
      }
      text.text += block.text;
      output[output.length - 1] = messageItem(messageId(base, text.index), text.text, 'completed');
      return;
    }
    if (block.type === 'thinking') {
      text = undefined;
      output.push(reasoningItem(`rs_${base}_${i}`, String((block as { thinking?: unknown }).thinking ?? ''), echo));
      return;
    }
    if (block.type !== 'tool_use') return; // redacted thinking (nothing to show), server tool blocks (never asked for)
    text = undefined;
    const b = block as { id: string; name: string; input: unknown };
    output.push(functionCallItem(`fc_${idSuffix(b.id)}`, b.id, b.name, JSON.stringify(b.input ?? {}), 'completed'));
  });
  const { status, incomplete_details } = responseStatus(msg.stop_reason);
  return responseObject({ id: `resp_${base}`, createdAt: created, model: msg.model, echo }, status, output, responsesUsage(msg.usage), incomplete_details);
}

/** The message item for text starting at content block `index`: the upstream's own id for the first. */
export function messageId(base: string, index: number): string {
  return index === 0 ? `msg_${base}` : `msg_${base}_${index}`;
}
