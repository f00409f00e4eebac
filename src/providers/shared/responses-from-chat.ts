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
import type { ResponseOutputItem, ResponsesUsage, ResponseStatus } from '../../dialects/openai/responses-types.js';
import type { ChatCompletion, ChatCompletionChunk, FinishReason } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { ResponsesEventWriter } from './responses-events.js';
import { chatUsageToResponses, functionCallItem, idSuffix, messageItem, type RequestEcho, responseObject } from './responses-objects.js';

/** A chat finish_reason as a Responses status (and why it is incomplete). */
export function statusOf(reason: FinishReason | null | undefined): { status: ResponseStatus; incomplete: { reason: string } | null } {
  if (reason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

export function responseFromCompletion(c: ChatCompletion, echo: RequestEcho): ReturnType<typeof responseObject> {
  if (!c || typeof c !== 'object' || !Array.isArray(c.choices)) throw new GatewayError('upstream_response_invalid', 'the provider answered with a body that is not a chat completion');
  const base = idSuffix(c.id);
  const choice = c.choices[0];
  const output: ResponseOutputItem[] = [];
  const msg = choice?.message;
  if (typeof msg?.content === 'string' && msg.content !== '') output.push(messageItem(`msg_${base}`, msg.content, 'completed'));
  else if (typeof msg?.refusal === 'string' && msg.refusal !== '') {
    output.push({ id: `msg_${base}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: msg.refusal }] });
  }
  for (const tc of msg?.tool_calls ?? []) output.push(functionCallItem(`fc_${idSuffix(tc.id)}`, tc.id, tc.function.name, tc.function.arguments, 'completed'));
  const { status, incomplete } = statusOf(choice?.finish_reason);
  return responseObject({ id: `resp_${base}`, createdAt: c.created, model: c.model, echo }, status, output, chatUsageToResponses(c.usage), incomplete);
}

/** chat.completion.chunk events (their `data`) -> Responses events, one at a time. */
export class ChatToResponsesStream {
  private readonly writer: ResponsesEventWriter;
  private state: 'before' | 'open' | 'done' = 'before';
  private base = '';
  private messages = 0;
  private finishReason: FinishReason | undefined;
  private usage: ResponsesUsage | null = null;

  constructor(private readonly echo: RequestEcho) {
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
      out += this.writer.start({ id: `resp_${this.base}`, createdAt: chunk.created, model: chunk.model, echo: this.echo });
    }
    if (chunk.usage) this.usage = chatUsageToResponses(chunk.usage);
    // n is never asked for: one choice.
    const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
    if (!choice) return out;
    const d = choice.delta ?? {};
    if (typeof d.content === 'string' && d.content !== '') {
      // Text after a tool call is a message item of its own, after the call.
      if (!this.writer.messageOpen) out += this.writer.closeCalls();
      if (!this.writer.messageOpen) out += this.writer.openMessage(this.messages++ === 0 ? `msg_${this.base}` : `msg_${this.base}_${this.messages - 1}`);
      out += this.writer.text(d.content);
    }
    for (const tc of d.tool_calls ?? []) {
      const key = tc.index ?? 0;
      if (!this.writer.hasCall(key)) {
        // Chat tool calls arrive one after the other: a new index ends the one before.
        out += this.writer.closeCalls();
        const callId = String(tc.id ?? '');
        out += this.writer.openCall(key, `fc_${idSuffix(callId)}`, callId, String(tc.function?.name ?? ''));
      }
      const args = tc.function?.arguments;
      if (typeof args === 'string' && args !== '') out += this.writer.args(key, args);
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
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
