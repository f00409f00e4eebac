// The response half of every "OpenAI client, Claude model" translator: upstream
// status, headers and body chunks in Anthropic's Messages format -> what an
// OpenAI client expects (a chat.completion, a chunk stream, or an OpenAI error).
// Anthropic's own API and Vertex AI's rawPredict answer alike, so both use this.
import type { Message } from '../../dialects/anthropic/types.js';
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult } from '../types.js';
import { AnthropicEventReader } from './events.js';
import { toOpenAICompletion, toOpenAIError } from './openai-response.js';
import { AnthropicToOpenAIStream } from './openai-stream.js';
import { AnthropicUsageTracker } from './usage.js';

export interface ResponseOptions {
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Write thinking as reasoning_content (for the Responses adapter only; see openai-response.ts). */
  reasoning?: boolean;
}

export class AnthropicToOpenAIResponse {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  private created = Math.floor(Date.now() / 1000);
  private readonly body = new BodyCollector();
  private readonly plainUsage = new AnthropicUsageTracker();
  private readonly reader = new AnthropicEventReader();
  private stream: AnthropicToOpenAIStream | undefined;

  constructor(private readonly opts: ResponseOptions) {}

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    // Anthropic responses carry no timestamp; the upstream's Date header is when it answered.
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.created = Math.floor(date / 1000);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) {
      this.mode = 'stream';
      this.stream = new AnthropicToOpenAIStream({ includeUsage: this.opts.includeUsage, created: this.created, reasoning: this.opts.reasoning === true });
    }
    const setHeaders: Record<string, string> = this.mode === 'stream' ? {} : { 'content-type': 'application/json' };
    return { rewritesBody: true, setHeaders, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') {
      let out = '';
      for (const { event } of this.reader.push(chunk, end)) out += this.stream!.event(event);
      if (end) out += this.stream!.end();
      return Buffer.from(out);
    }
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return toOpenAIError(this.status, whole);
    const msg = parseUpstreamJson<Message>(whole);
    this.plainUsage.observeMessage(msg);
    return Buffer.from(JSON.stringify(toOpenAICompletion(msg, this.created, this.opts.reasoning === true)));
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

