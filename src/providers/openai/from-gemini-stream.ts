// OpenAI chat.completion.chunk SSE -> Gemini's streamGenerateContent SSE, one
// `data: {GenerateContentResponse}` event per piece of text. Gemini never streams
// partial function arguments, so tool-call fragments are accumulated by index and
// sent whole, as functionCall parts of the last event, which also carries the
// finishReason and usageMetadata. OpenAI sends usage after the finish_reason chunk:
// the last event waits for it (or for [DONE] from a server that sends none).
import type { GeminiPart, GenerateContentResponse } from '../../dialects/gemini/types.js';
import type { ChatCompletionChunk, ChatUsage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { ResponseProgress } from '../../usage/progress.js';
import { SseParser, sseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import { reasoningText } from './from-anthropic-response.js';
import { googleErrorBody } from '../../dialects/gemini/index.js';
import { functionCallPart, toGeminiFinish, toGeminiUsage } from './from-gemini-response.js';
import { fromOpenAIUsage } from './usage.js';

type ChunkDelta = ChatCompletionChunk['choices'][number]['delta'] & { reasoning_content?: unknown; reasoning?: unknown };
type ToolDelta = NonNullable<ChunkDelta['tool_calls']>[number];

interface PendingCall {
  id?: string;
  name: string;
  args: string;
}

export class OpenAIToGeminiStream {
  readonly progress = new ResponseProgress();
  private readonly sse = new SseParser();
  private done = false;
  private id: string | undefined;
  private model: string | undefined;
  private finishReason: string | undefined;
  private rawUsage: ChatUsage | undefined;
  /** OpenAI tool_calls index -> the call so far, in the order they began. */
  private readonly calls = new Map<number, PendingCall>();

  /** Feeds upstream bytes; returns the Gemini SSE text they complete. */
  push(chunk: Uint8Array, end: boolean): string {
    let out = '';
    for (const ev of this.sse.push(chunk, end)) if (ev.data !== undefined && ev.data.trim() !== '') out += this.data(ev.data);
    if (end && !this.done) {
      // Some compatible servers end without [DONE]; a stream that never finished is cut short.
      if (this.finishReason === undefined) throw new GatewayError('upstream_response_invalid', 'the provider stream ended before its last chunk');
      out += this.last();
    }
    return out;
  }

  usage(): Usage {
    return fromOpenAIUsage(this.rawUsage) ?? {};
  }

  get responseModel(): string | undefined {
    return this.model;
  }

  private data(data: string): string {
    if (this.done) return '';
    if (data.trim() === '[DONE]') {
      if (this.finishReason === undefined) throw new GatewayError('upstream_response_invalid', 'the provider stream ended before its last chunk');
      return this.last();
    }
    let chunk: ChatCompletionChunk & { error?: { message?: unknown } };
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new GatewayError('upstream_response_invalid', 'the provider sent a stream chunk that is not JSON');
    }
    if (chunk.error) {
      // An error mid-stream, after a 200: Google writes its error JSON into the body outside
      // the SSE framing, and that is what @google/genai raises as an ApiError (a bare JSON
      // chunk), or as an incomplete segment when it arrives joined to earlier events.
      this.done = true;
      this.progress.markComplete();
      const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'upstream stream error';
      return JSON.stringify(googleErrorBody(500, message));
    }
    if (typeof chunk.id === 'string' && chunk.id !== '') this.id ??= chunk.id;
    // Azure's first chunk (prompt filter results) carries model "": not the answering model.
    if (typeof chunk.model === 'string' && chunk.model !== '') this.model ??= chunk.model;
    if (chunk.usage) this.rawUsage = chunk.usage;
    let out = '';
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice) {
      const delta = (choice.delta ?? {}) as ChunkDelta;
      const reasoning = reasoningText(delta);
      if (reasoning) out += this.event([{ text: reasoning, thought: true }]);
      const text = (delta.content ?? '') + (delta.refusal ?? '');
      this.progress.text(text);
      if (text !== '') out += this.event([{ text }]);
      for (const tc of delta.tool_calls ?? []) this.toolDelta(tc);
      if (choice.finish_reason) {
        this.finishReason = choice.finish_reason;
        this.progress.finish(choice.finish_reason);
      }
    }
    // The usage chunk is the last before [DONE]: the answer is whole here.
    if (this.finishReason !== undefined && chunk.usage) out += this.last();
    return out;
  }

  private toolDelta(tc: ToolDelta): void {
    // Some compatible servers leave out `index`: then an id starts a call and other fragments continue the last.
    const key = typeof tc.index === 'number' ? tc.index : tc.id ? this.calls.size : Math.max(0, this.calls.size - 1);
    let call = this.calls.get(key);
    if (!call) {
      call = { name: '', args: '' };
      this.calls.set(key, call);
    }
    if (tc.id) call.id = tc.id;
    if (tc.function?.name) call.name += tc.function.name;
    const args = tc.function?.arguments;
    this.progress.text(args);
    if (args) call.args += args;
  }

  /** The last event: whole function calls, the finish reason and the usage. */
  private last(): string {
    this.done = true;
    this.progress.markComplete();
    const parts: GeminiPart[] = [...this.calls.values()].map((c) => functionCallPart(c.id, c.name, c.args));
    const res: GenerateContentResponse = {
      candidates: [{ content: { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] }, finishReason: toGeminiFinish(this.finishReason), index: 0 }],
    };
    // A server that reports no usage leaves it out; the gateway then estimates its own count.
    if (this.rawUsage) res.usageMetadata = toGeminiUsage(this.rawUsage);
    return sseEvent(JSON.stringify(this.stamp(res)));
  }

  private event(parts: GeminiPart[]): string {
    return sseEvent(JSON.stringify(this.stamp({ candidates: [{ content: { role: 'model', parts }, index: 0 }] })));
  }

  private stamp(res: GenerateContentResponse): GenerateContentResponse {
    if (this.model !== undefined) res.modelVersion = this.model;
    if (this.id !== undefined) res.responseId = this.id;
    return res;
  }
}
