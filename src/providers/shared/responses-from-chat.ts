// OpenAI Chat Completions output -> the Responses API's: a chat.completion becomes a
// `response` object, chat.completion.chunk SSE the Responses event stream (written by
// responses-events.ts). The input is what an OpenAI-Chat translator (Gemini, Bedrock,
// Claude on Vertex) made of its provider's answer, so this file knows no provider.
//
// Ids come from the completion's: chatcmpl-Abc answers as resp_Abc with message item
// msg_Abc; tool call call_Xyz is function call item fc_Xyz with call_id call_Xyz, so the
// client's function_call_output finds its way back. Text after a tool call opens a new
// message item. A chat stream that reaches [DONE] without a finish_reason was cut (the
// chat writers close a cut stream politely): the client gets an `error` event, as it
// does for the chat stream's own error chunks.
//
// Reasoning: the wrapped chat translators write the provider's reasoning text as
// `reasoning_content` (the field DeepSeek and vLLM use) for this adapter only, never for
// Chat Completions clients. It becomes a `reasoning` item (rs_Abc) before the message and
// calls, as OpenAI orders them, its text the summary only when the client asked for
// `reasoning.summary` (reasoning_summary_* events then), as on the direct Anthropic path.
// A tool call's thought signature (Gemini's, as extra_content.google.thought_signature)
// rides on a reasoning item's encrypted_content right before that call's item, only when
// the client asked for include reasoning.encrypted_content: on the reasoning item just
// before the call when there is one, else on one of its own (responses-objects.ts).
import type { ResponseOutputItem, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import type { ChatCompletion, ChatCompletionChunk, FinishReason } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { ResponsesEventWriter } from './responses-events.js';
import {
  chatUsageToResponses,
  functionCallItem,
  idSuffix,
  messageItem,
  reasoningItem,
  type RequestEcho,
  responseObject,
  signatureAsEncrypted,
  toolCallSignature,
} from './responses-objects.js';

/** What the client asked of the answer beyond the fields a response object repeats. */
export interface ChatReadOptions {
  /** include: ["reasoning.encrypted_content"]: thought signatures come back as encrypted_content. */
  encryptedReasoning: boolean;
}

/** The reasoning text the wrapped chat translators add for this adapter. */
type Reasoning = { reasoning_content?: unknown };

/** A chat finish_reason as a Responses status (and why it is incomplete). */
export function statusOf(reason: FinishReason | null | undefined): { status: ResponseStatus; incomplete: { reason: string } | null } {
  if (reason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

export function responseFromCompletion(c: ChatCompletion, echo: RequestEcho, opts: ChatReadOptions): ReturnType<typeof responseObject> {
  if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) throw new GatewayError('upstream_response_invalid', 'the provider answered with a body that is not a chat completion');
  const base = idSuffix(c.id);
  const choice = c.choices[0];
  const output: ResponseOutputItem[] = [];
  const msg = choice?.message as (ChatCompletion['choices'][number]['message'] & Reasoning) | undefined;
  const ids = new ReasoningIds(base);
  const reasoning = typeof msg?.reasoning_content === 'string' ? msg.reasoning_content : '';
  if (reasoning !== '') output.push(reasoningItem(ids.next(), reasoning, echo));
  if (typeof msg?.content === 'string' && msg.content !== '') output.push(messageItem(`msg_${base}`, msg.content, 'completed'));
  else if (typeof msg?.refusal === 'string' && msg.refusal !== '') {
    output.push({ id: `msg_${base}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: msg.refusal }] });
  }
  for (const tc of msg?.tool_calls ?? []) {
    const sig = toolCallSignature(tc);
    if (opts.encryptedReasoning && sig !== undefined) {
      const before = output.at(-1);
      // The reasoning item right before the call takes it, as the stream's open one does.
      if (before?.type === 'reasoning' && before.encrypted_content === undefined) output[output.length - 1] = reasoningItem(String(before.id), reasoning, echo, signatureAsEncrypted(sig));
      else output.push(reasoningItem(ids.next(), '', echo, signatureAsEncrypted(sig)));
    }
    output.push(functionCallItem(`fc_${idSuffix(tc.id)}`, tc.id, tc.function.name, tc.function.arguments, 'completed'));
  }
  const { status, incomplete } = statusOf(choice?.finish_reason);
  return responseObject({ id: `resp_${base}`, createdAt: c.created, model: c.model, echo }, status, output, chatUsageToResponses(c.usage), incomplete);
}

/** rs_Abc for a response's first reasoning item, rs_Abc_1… for the next. */
class ReasoningIds {
  private n = 0;
  constructor(private readonly base: string) {}
  next(): string {
    return this.n++ === 0 ? `rs_${this.base}` : `rs_${this.base}_${this.n - 1}`;
  }
}

/** chat.completion.chunk events (their `data`) -> Responses events, one at a time. */
export class ChatToResponsesStream {
  private readonly writer: ResponsesEventWriter;
  private state: 'before' | 'open' | 'done' = 'before';
  private base = '';
  private messages = 0;
  private finishReason: FinishReason | undefined;
  private usage: ResponsesUsage | null = null;
  private reasoningIds = new ReasoningIds('');

  constructor(
    private readonly echo: RequestEcho,
    private readonly opts: ChatReadOptions,
  ) {
    this.writer = new ResponsesEventWriter(echo);
  }

  /** One SSE event's data; returns the client's SSE text ('' when it maps to nothing). */
  data(data: string): string {
    if (this.state === 'done') return '';
    if (data.trim() === '[DONE]') return this.done();
    let chunk: ChatCompletionChunk & { error?: { message?: unknown; code?: unknown; type?: unknown } };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      throw new GatewayError('upstream_response_invalid', 'the chat stream held an event that is not JSON');
    }
    if (chunk.error) {
      this.state = 'done';
      const e = chunk.error;
      const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : 'upstream_error';
      return this.writer.error(code, typeof e.message === 'string' ? e.message : 'upstream stream error');
    }
    let out = '';
    if (this.state === 'before') {
      this.state = 'open';
      this.base = idSuffix(chunk.id);
      this.reasoningIds = new ReasoningIds(this.base);
      out += this.writer.start({ id: `resp_${this.base}`, createdAt: chunk.created, model: chunk.model, echo: this.echo });
    }
    if (chunk.usage) this.usage = chatUsageToResponses(chunk.usage);
    // n is never asked for: one choice.
    const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
    if (!choice) return out;
    const d: ChatCompletionChunk['choices'][number]['delta'] & Reasoning = choice.delta ?? {};
    if (typeof d.reasoning_content === 'string' && d.reasoning_content !== '') {
      if (this.writer.reasoningKey === undefined) out += this.writer.closeCalls() + this.writer.openReasoning(0, this.reasoningIds.next());
      out += this.writer.reasoningText(d.reasoning_content);
    }
    if (typeof d.content === 'string' && d.content !== '') {
      // Text after a tool call is a message item of its own, after the call.
      if (!this.writer.messageOpen) out += this.writer.closeReasoning() + this.writer.closeCalls();
      if (!this.writer.messageOpen) out += this.writer.openMessage(this.messages++ === 0 ? `msg_${this.base}` : `msg_${this.base}_${this.messages - 1}`);
      out += this.writer.text(d.content);
    }
    for (const tc of d.tool_calls ?? []) {
      const key = tc.index ?? 0;
      if (!this.writer.hasCall(key)) {
        // Chat tool calls arrive one after the other: a new index ends the one before.
        out += this.writer.closeCalls() + this.beforeCall(toolCallSignature(tc));
        const callId = String(tc.id ?? '');
        out += this.writer.openCall(key, `fc_${idSuffix(callId)}`, callId, String(tc.function?.name ?? ''));
      }
      const args = tc.function?.arguments;
      if (typeof args === 'string' && args !== '') out += this.writer.args(key, args);
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  /** Ends the reasoning item before a call, with the call's thought signature when the client asked for it. */
  private beforeCall(signature: string | undefined): string {
    const encrypted = this.opts.encryptedReasoning && signature !== undefined ? signatureAsEncrypted(signature) : undefined;
    if (this.writer.reasoningKey !== undefined) return this.writer.closeReasoning(encrypted);
    return encrypted === undefined ? '' : this.writer.encryptedReasoning(this.reasoningIds.next(), encrypted);
  }

  /** The chat stream's body ended: without [DONE] it was cut. */
  end(): string {
    if (this.state === 'done') return '';
    this.state = 'done';
    return this.writer.error('upstream_response_invalid', 'the provider stream ended before its last event');
  }

  private done(): string {
    const prior = this.state;
    this.state = 'done';
    if (prior === 'before' || this.finishReason === undefined) return this.writer.error('upstream_response_invalid', 'the provider stream ended before its last event');
    const { status, incomplete } = statusOf(this.finishReason);
    return this.writer.finish(status, this.usage, incomplete);
  }
}
