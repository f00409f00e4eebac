// A whole Anthropic message -> an OpenAI Responses `response` object, and the pieces
// the stream (from-responses-stream.ts) builds the same object from. Consecutive text
// blocks make one `message` output item (Claude splits text at citations), each
// tool_use block one `function_call` item whose call_id is the tool_use id, so the
// client's function_call_output finds its way back. A thinking block (reasoning.effort
// turned thinking on) is a `reasoning` item, its text the summary when the client asked
// for one (`reasoning.summary`), as OpenAI summarizes only then; its signature stays
// behind, as nothing the client sends back is given to Claude again.
//
// Ids are derived from the upstream's, not random, so an answer can be traced to the
// Anthropic message it came from: msg_01Abc answers as resp_01Abc with message item
// msg_01Abc, tool_use toolu_01Xyz as function call item fc_01Xyz.
import { randomBytes } from 'node:crypto';
import type { AnthropicUsage, Message } from '../../dialects/anthropic/types.js';
import type { ResponseObject, ResponseOutputItem, ResponsesRequest, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import { toOpenAIUsage } from './openai-response.js';

/** The request fields a response object repeats back (as OpenAI's do). */
export type RequestEcho = Pick<ResponseObject, 'instructions' | 'max_output_tokens' | 'parallel_tool_calls' | 'temperature' | 'top_p' | 'tool_choice' | 'tools' | 'text' | 'metadata'> & {
  reasoning: { effort: string | null; summary: string | null };
};

export function requestEcho(req: ResponsesRequest): RequestEcho {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    temperature: req.temperature ?? null,
    top_p: req.top_p ?? null,
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    text: req.text?.format ? { format: req.text.format } : { format: { type: 'text' } },
    metadata: req.metadata ?? {},
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
  };
}

/** The part of an upstream id after its prefix (msg_, toolu_), or a fresh one when it has none. */
export function idSuffix(id: unknown): string {
  if (typeof id === 'string' && id !== '') return id.replace(/^[a-z]+_/, '');
  return randomBytes(16).toString('hex');
}

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

export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
  echo: RequestEcho;
}

/** The response object around its output; `status` in_progress for the stream's opening events. */
export function responseObject(shell: ResponseShell, status: ResponseStatus, output: ResponseOutputItem[], usage: ResponsesUsage | null, incomplete: { reason: string } | null = null): ResponseObject {
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete,
    ...shell.echo,
    model: shell.model,
    output,
    previous_response_id: null,
    store: false,
    truncation: 'disabled',
    usage,
  };
}

export const messageItem = (id: string, text: string, status: string): ResponseOutputItem => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', annotations: [], text }],
});

/** Thinking as a reasoning item: its text as the summary only when the client asked for summaries. */
export const reasoningItem = (id: string, thinking: string, echo: RequestEcho): ResponseOutputItem => ({
  id,
  type: 'reasoning',
  summary: echo.reasoning.summary !== null && thinking !== '' ? [{ type: 'summary_text', text: thinking }] : [],
});

export const functionCallItem = (id: string, callId: string, name: string, args: string, status: string): ResponseOutputItem => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
});

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
