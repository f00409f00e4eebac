// The OpenAI Responses API's answer objects as every translator that writes them for
// another provider builds them: the `response` object (with the request fields it
// repeats back, as OpenAI's do), its output items, and Chat Completions usage restated
// in Responses terms. Provider-neutral: the Anthropic translator and the adapter over
// the OpenAI-Chat translators (responses-over-chat.ts) share one copy.
import { randomBytes } from 'node:crypto';
import type { ResponseFunctionTool, ResponseObject, ResponseOutputItem, ResponsesRequest, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import type { ChatUsage } from '../../dialects/openai/types.js';

/**
 * The request fields a response object repeats back, as OpenAI's do. Every one the Open
 * Responses specification requires is present: what the client sent, else the value the
 * Responses API documents as its default (temperature and top_p 1, penalties 0), since
 * clients and conformance checks read them as numbers, never null.
 */
export type RequestEcho = Pick<ResponseObject, 'instructions' | 'max_output_tokens' | 'parallel_tool_calls' | 'temperature' | 'top_p' | 'tool_choice' | 'tools' | 'text' | 'metadata'> & {
  reasoning: { effort: string | null; summary: string | null };
  [field: string]: unknown;
};

const num = (v: unknown, otherwise: number): number => (typeof v === 'number' ? v : otherwise);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A function tool as the response lists it: description, parameters and strict always there (null when not given). */
function echoTool(t: NonNullable<ResponsesRequest['tools']>[number]): unknown {
  if (t.type !== 'function') return t;
  const f = t as ResponseFunctionTool;
  return { ...f, description: f.description ?? null, parameters: f.parameters ?? null, strict: f.strict ?? null };
}

/** text.format as the response lists it: a JSON schema format with its description and strict always there. */
function echoFormat(f: NonNullable<ResponsesRequest['text']>['format']): { type: string; [extra: string]: unknown } {
  if (!f) return { type: 'text' };
  if (f.type !== 'json_schema') return f;
  return { ...f, description: f.description ?? null, strict: f.strict ?? false };
}

export function requestEcho(req: ResponsesRequest): RequestEcho {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: typeof req.max_tool_calls === 'number' ? req.max_tool_calls : null,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    temperature: num(req.temperature, 1),
    top_p: num(req.top_p, 1),
    presence_penalty: num(req.presence_penalty, 0),
    frequency_penalty: num(req.frequency_penalty, 0),
    top_logprobs: num(req.top_logprobs, 0),
    tool_choice: req.tool_choice ?? 'auto',
    tools: (req.tools ?? []).map(echoTool) as RequestEcho['tools'],
    text: { format: echoFormat(req.text?.format) },
    metadata: req.metadata ?? {},
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    // The provider's own tier is not the OpenAI one asked for; the answer says what was had.
    service_tier: 'default',
    safety_identifier: strOrNull(req.safety_identifier),
    prompt_cache_key: strOrNull(req.prompt_cache_key),
  };
}

/** The part of an upstream id after its prefix (msg_, toolu_, call_, chatcmpl-), or a fresh one when it has none. */
export function idSuffix(id: unknown): string {
  if (typeof id === 'string' && id !== '') return id.replace(/^(?:[a-z]+_|chatcmpl-)/, '');
  return randomBytes(16).toString('hex');
}

/** Chat Completions usage in Responses terms (the same counts under other names). */
export function chatUsageToResponses(c: ChatUsage | null | undefined): ResponsesUsage | null {
  if (!c || typeof c !== 'object') return null;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    input_tokens: n(c.prompt_tokens),
    input_tokens_details: { cached_tokens: n(c.prompt_tokens_details?.cached_tokens) },
    output_tokens: n(c.completion_tokens),
    output_tokens_details: { reasoning_tokens: n(c.completion_tokens_details?.reasoning_tokens) },
    total_tokens: typeof c.total_tokens === 'number' ? c.total_tokens : n(c.prompt_tokens) + n(c.completion_tokens),
  };
}

export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
  echo: RequestEcho;
}

/**
 * The response object around its output; `status` in_progress for the stream's opening events.
 * completed_at is the answer's own time (the provider's Date): a translation has no other
 * clock that gives every reading of the same answer the same bytes.
 */
export function responseObject(shell: ResponseShell, status: ResponseStatus, output: ResponseOutputItem[], usage: ResponsesUsage | null, incomplete: { reason: string } | null = null): ResponseObject {
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    completed_at: status === 'completed' ? shell.createdAt : null,
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
  content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
});

/**
 * Model reasoning as a reasoning item: its text as the summary only when the client asked for
 * summaries; `encrypted`, opaque state the client replays next turn, only when it asked for
 * it (include reasoning.encrypted_content) and the provider gave some.
 */
export const reasoningItem = (id: string, thinking: string, echo: RequestEcho, encrypted?: string): ResponseOutputItem => ({
  id,
  type: 'reasoning',
  summary: echo.reasoning.summary !== null && thinking !== '' ? [{ type: 'summary_text', text: thinking }] : [],
  ...(encrypted !== undefined ? { encrypted_content: encrypted } : {}),
});

/**
 * A chat tool call's thought signature (Google's `extra_content.google.thought_signature`,
 * which the Gemini chat translation writes on the call and reads back from it) travels to a
 * Responses client as a reasoning item's encrypted_content, the field the Responses API has
 * for opaque reasoning state a client replays. The prefix tells ours from OpenAI's own
 * encrypted reasoning (Fernet tokens, `gAAAA…`), which no provider here can read.
 */
const SIGNATURE_PREFIX = 'thought_signature:';

export const signatureAsEncrypted = (signature: string): string => SIGNATURE_PREFIX + signature;

/** The thought signature an encrypted_content carries, if it is one of ours. */
export function signatureFromEncrypted(encrypted: unknown): string | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(SIGNATURE_PREFIX)) return undefined;
  const sig = encrypted.slice(SIGNATURE_PREFIX.length);
  return sig === '' ? undefined : sig;
}

/** A chat tool call's thought signature (`extra_content.google.thought_signature`), if it has one. */
export function toolCallSignature(call: unknown): string | undefined {
  const sig = (call as { extra_content?: { google?: { thought_signature?: unknown } } } | undefined)?.extra_content?.google?.thought_signature;
  return typeof sig === 'string' && sig !== '' ? sig : undefined;
}

export const functionCallItem = (id: string, callId: string, name: string, args: string, status: string): ResponseOutputItem => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
});
