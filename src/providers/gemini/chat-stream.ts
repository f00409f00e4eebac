// Streamed Gemini (SSE of GenerateContentResponse) -> OpenAI chat.completion.chunk
// events, one upstream event at a time. Gemini sends text in pieces and function
// calls whole, so a call becomes one tool_calls delta carrying id, name and all its
// arguments. State per candidate: whether the role went out, the next tool index.
// Thought summaries go out as `reasoning_content` deltas only with `reasoning` set (the
// Responses adapter; see chat-response.ts).
import type { ChatCompletionChunk, FinishReason } from '../../dialects/openai/types.js';
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { sseEvent } from '../../usage/sse.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { candidateText, candidateThoughts, finishReason, functionCallParts, type GeminiToolCall, toOpenAILogprobs, type ToolCallIds, toolCall } from './chat-response.js';
import { observeGemini } from './progress.js';
import { fromGeminiUsage, toOpenAIUsage } from './usage.js';

type Choice = ChatCompletionChunk['choices'][number];
type Delta = Choice['delta'] & { reasoning_content?: string };

interface CandidateState {
  roleSent: boolean;
  tools: number;
  finished: boolean;
}

export interface ChunkWriterOptions {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  ids: ToolCallIds;
  /** Write thought summaries as reasoning_content deltas (for the Responses adapter only). */
  reasoning?: boolean;
}

export class ChatChunkWriter {
  private id: string | undefined;
  private model: string | undefined;
  private responseId: string | undefined;
  private readonly candidates = new Map<number, CandidateState>();
  private seenUsage: Usage = {};
  readonly progress = new ResponseProgress();

  constructor(private readonly opts: ChunkWriterOptions) {}

  get usage(): Usage {
    return this.seenUsage;
  }

  get responseModel(): string | undefined {
    return this.model;
  }

  /** One upstream event -> the SSE text of the chunks it makes (maybe none). */
  event(res: GenerateContentResponse): string {
    this.responseId ??= res.responseId;
    this.id ??= res.responseId ?? this.opts.id;
    if (typeof res.modelVersion === 'string') this.model = res.modelVersion;
    // Gemini repeats usage, growing, on every event: the last one is the total.
    const candidates = res.candidates ?? [];
    const finishing = observeGemini(this.progress, res, false);
    const usage = fromGeminiUsage(res.usageMetadata, finishing);
    if (usage) this.seenUsage = usage;
    let out = '';
    if (candidates.length === 0 && res.promptFeedback?.blockReason) {
      const st = this.state(0);
      if (!st.finished) out += this.finish(0, st, 'content_filter');
    }
    candidates.forEach((c, i) => {
      const index = c.index ?? i;
      const st = this.state(index);
      if (st.finished) return;
      const delta: Delta = {};
      if (!st.roleSent) delta.role = 'assistant';
      const thoughts = this.opts.reasoning ? candidateThoughts(c) : undefined;
      if (thoughts !== undefined) delta.reasoning_content = thoughts;
      const text = candidateText(c);
      if (text !== undefined) delta.content = text;
      const calls = functionCallParts(c).map((p) => ({ index: st.tools++, ...toolCall(p, this.opts.ids.next(p.functionCall, this.responseId)) }));
      if (calls.length > 0) delta.tool_calls = calls as (GeminiToolCall & { index: number })[];
      const logprobs = toOpenAILogprobs(c.logprobsResult);
      if (thoughts !== undefined || text !== undefined || calls.length > 0 || !st.roleSent) {
        if (delta.content === undefined && calls.length === 0) delta.content = '';
        st.roleSent = true;
        out += this.chunk([{ index, delta, ...(logprobs ? { logprobs } : {}), finish_reason: null }]);
      }
      if (c.finishReason !== undefined) out += this.finish(index, st, finishReason(c.finishReason, st.tools > 0));
    });
    return out;
  }

  /** The end of the upstream stream: the usage chunk (if the client asked) and [DONE]. */
  end(): string {
    let out = '';
    if (this.opts.includeUsage) {
      out += this.chunk([], toOpenAIUsage(this.seenUsage));
    }
    return `${out}data: [DONE]\n\n`;
  }

  private state(index: number): CandidateState {
    let st = this.candidates.get(index);
    if (!st) {
      st = { roleSent: false, tools: 0, finished: false };
      this.candidates.set(index, st);
    }
    return st;
  }

  private finish(index: number, st: CandidateState, reason: FinishReason | null): string {
    st.finished = true;
    const delta: Delta = st.roleSent ? {} : { role: 'assistant', content: null };
    st.roleSent = true;
    return this.chunk([{ index, delta, finish_reason: reason }]);
  }

  private chunk(choices: Choice[], usage?: ChatCompletionChunk['usage']): string {
    const c: ChatCompletionChunk = {
      id: this.id ?? this.opts.id,
      object: 'chat.completion.chunk',
      created: this.opts.created,
      model: this.model ?? this.opts.model,
      choices,
    };
    if (usage) c.usage = usage;
    return sseEvent(JSON.stringify(c));
  }
}
