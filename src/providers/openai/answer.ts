// The response half of every translator whose upstream answers in OpenAI's Chat Completions
// format (OpenAI, compatible servers, Azure deployments) for a client of another dialect
// (Anthropic Messages, Gemini): the status and headers decide between a whole completion, a
// chunk stream and an error; the client dialect's writers rewrite the body, and usage, model
// and progress come from whichever was read.
import type { ChatCompletion } from '../../dialects/openai/types.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult } from '../types.js';
import { CompletionRecord } from './completion-reader.js';

/** A client dialect's rewriter of a chunk stream, and what it has read of it. */
export interface ChunkStreamWriter {
  /** Upstream bytes -> the client's stream text they complete. */
  push(chunk: Uint8Array, end: boolean): string;
  usage(): Usage;
  readonly responseModel: string | undefined;
  readonly progress: ResponseProgress;
}

export interface OpenAIAnswerWriters {
  /** A whole completion as the client's body. */
  plain(completion: ChatCompletion): string;
  stream: ChunkStreamWriter;
  /** An OpenAI error body in the client's error shape. */
  error(status: number, body: Buffer): Buffer;
  /** The client's content-type for a stream (undefined: the upstream's text/event-stream stays). */
  streamType?: string;
  /** The client's content-type for a whole answer (default application/json). */
  plainType?(): string;
}

export class OpenAIAnswer {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  private readonly body = new BodyCollector();
  private readonly plain = new CompletionRecord();

  constructor(private readonly writers: OpenAIAnswerWriters) {}

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) this.mode = 'stream';
    const type = this.mode === 'stream' ? this.writers.streamType : this.mode === 'plain' ? (this.writers.plainType?.() ?? 'application/json') : 'application/json';
    return { rewritesBody: true, setHeaders: type === undefined ? {} : { 'content-type': type }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return Buffer.from(this.writers.stream.push(chunk, end));
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return this.writers.error(this.status, whole);
    const completion = parseUpstreamJson<ChatCompletion>(whole);
    const out = this.writers.plain(completion);
    this.plain.observe(completion);
    return Buffer.from(out);
  }

  usage(): Usage {
    return this.mode === 'stream' ? this.writers.stream.usage() : this.plain.usage;
  }

  responseModel(): string | undefined {
    return this.mode === 'stream' ? this.writers.stream.responseModel : this.plain.model;
  }

  progress(): ResponseProgress {
    return this.mode === 'stream' ? this.writers.stream.progress : this.plain.progress;
  }
}
