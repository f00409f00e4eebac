// The response half of every translator whose upstream answers in Anthropic's Messages format
// (Anthropic's own API, Claude on Vertex's rawPredict) for a client of another dialect: the
// status and headers decide between a whole message, an event stream and an error; the body
// is then rewritten by the client dialect's writers (OpenAI chat, the Responses API, Gemini),
// and usage, model and progress come from whichever was read.
import type { Message } from '../../dialects/anthropic/types.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult } from '../types.js';
import { type AnthropicEvent, AnthropicEventReader } from './events.js';
import { AnthropicUsageTracker } from './usage.js';

/** A client dialect's writer of Anthropic events, and what it has read of them. */
export interface AnswerStream {
  event(ev: AnthropicEvent): string;
  /** The upstream body ended: what the client still gets (or a throw, for a stream cut short). */
  end(): string;
  usage(): Usage;
  readonly responseModel: string | undefined;
  readonly progress: ResponseProgress;
}

export interface AnswerWriters {
  /** A whole message as the client's body. `created`: the upstream's Date, in seconds. */
  plain(msg: Message, created: number): string;
  stream(created: number): AnswerStream;
  /** An Anthropic error body in the client's error shape. */
  error(status: number, body: Buffer): Buffer;
  /** The client's content-type for a stream (undefined: the upstream's text/event-stream stays). */
  streamType?: string;
  /** The client's content-type for a whole answer (default application/json). */
  plainType?(): string;
}

export class AnthropicAnswer {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  private created = Math.floor(Date.now() / 1000);
  private readonly body = new BodyCollector();
  private readonly reader = new AnthropicEventReader();
  private readonly plainUsage = new AnthropicUsageTracker();
  private stream: AnswerStream | undefined;

  constructor(private readonly writers: AnswerWriters) {}

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    // Anthropic messages carry no timestamp; the upstream's Date header is when it answered.
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.created = Math.floor(date / 1000);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) {
      this.mode = 'stream';
      this.stream = this.writers.stream(this.created);
    }
    const type = this.mode === 'stream' ? this.writers.streamType : this.mode === 'plain' ? (this.writers.plainType?.() ?? 'application/json') : 'application/json';
    return { rewritesBody: true, setHeaders: type === undefined ? {} : { 'content-type': type }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.stream) {
      let out = '';
      for (const { event } of this.reader.push(chunk, end)) out += this.stream.event(event);
      if (end) out += this.stream.end();
      return Buffer.from(out);
    }
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return this.writers.error(this.status, whole);
    const msg = parseUpstreamJson<Message>(whole);
    this.plainUsage.observeMessage(msg);
    return Buffer.from(this.writers.plain(msg, this.created));
  }

  usage(): Usage {
    return this.stream ? this.stream.usage() : this.plainUsage.usage();
  }

  responseModel(): string | undefined {
    return this.stream ? this.stream.responseModel : this.plainUsage.model;
  }

  progress(): ResponseProgress {
    return this.stream ? this.stream.progress : this.plainUsage.progress;
  }
}
