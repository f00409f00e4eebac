// The response half of every translator whose upstream answers in Gemini's generateContent
// format (AI Studio, Vertex's Gemini models) for a client of another dialect (OpenAI chat,
// Anthropic Messages): the status and headers decide between a whole answer, an event stream,
// a stream asked for but answered as one JSON document (or an array of them), and an error;
// the client dialect's writers rewrite what arrives, and usage, model and progress come from
// whichever was read.
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { ResponseProgress } from '../../usage/progress.js';
import { SseParser } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from '../shared/body.js';
import type { ResponseHeadersResult } from '../types.js';
import { parseGoogleError } from './errors.js';
import { observeGemini } from './progress.js';
import { fromGeminiUsage } from './usage.js';

/** A client dialect's writer of Gemini stream events, and what it has read of them. */
export interface GeminiStreamWriter {
  event(res: GenerateContentResponse): string;
  /** The upstream body ended: what the client still gets. */
  end(): string;
  /** Set once the client's stream has ended (events after it are ignored). */
  readonly finished?: boolean;
  readonly usage: Usage;
  readonly responseModel: string | undefined;
  readonly progress: ResponseProgress;
}

export type GoogleError = ReturnType<typeof parseGoogleError>;

export interface GeminiAnswerWriters<S extends GeminiStreamWriter> {
  /** A whole answer as the client's body. `created`: the upstream's Date, in seconds. */
  plain(res: GenerateContentResponse, created: number): unknown;
  stream(created: number): S;
  /** A Google error in the middle of a stream, as the client's stream carries one. */
  streamError(writer: S, e: GoogleError): string;
  /** A Google error body in the client's error shape. */
  error(status: number, body: Buffer): Buffer;
}

type Mode = 'plain' | 'stream' | 'stream-json' | 'error';

export class GeminiAnswer<S extends GeminiStreamWriter> {
  /** The client asked for a stream (set by the translator's request()). */
  protected streamed = false;
  private mode: Mode = 'plain';
  private status = 0;
  private created = Math.floor(Date.now() / 1000);
  private readonly body = new BodyCollector();
  private readonly sse = new SseParser();
  private writer: S | undefined;
  private plainUsage: Usage = {};
  private plainModel: string | undefined;
  private readonly plainProgress = new ResponseProgress();

  constructor(private readonly writers: GeminiAnswerWriters<S>) {}

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    // Gemini responses carry no timestamp (Vertex's createTime aside); the Date header is when it answered.
    const date = Date.parse(headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.created = Math.floor(date / 1000);
    const eventStream = (headers.get('content-type') ?? '').includes('text/event-stream');
    this.mode = !ok ? 'error' : !this.streamed ? 'plain' : eventStream ? 'stream' : 'stream-json';
    if (this.mode === 'stream' || this.mode === 'stream-json') this.writer = this.writers.stream(this.created);
    return { rewritesBody: true, setHeaders: { 'content-type': this.writer ? 'text/event-stream' : 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.mode === 'stream') return this.streamChunk(chunk, end);
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return this.writers.error(this.status, whole);
    if (this.mode === 'stream-json') return this.jsonAsStream(whole);
    const res = asResponse(parseUpstreamJson(whole.toString('utf8')));
    this.plainModel = res.modelVersion;
    this.plainUsage = fromGeminiUsage(res.usageMetadata, true) ?? {};
    observeGemini(this.plainProgress, res, true);
    return Buffer.from(JSON.stringify(this.writers.plain(res, this.created)));
  }

  /** The whole answer at once, still as the stream the client asked for: never a silent empty one. */
  private jsonAsStream(whole: Buffer): Buffer {
    const parsed = parseUpstreamJson(whole.toString('utf8'));
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (events.length === 0) throw new GatewayError('upstream_response_invalid', 'the Gemini stream held no response');
    let out = '';
    for (const ev of events) out += this.writer!.event(asResponse(ev));
    return Buffer.from(out + this.writer!.end());
  }

  private streamChunk(chunk: Buffer, end: boolean): Buffer {
    const writer = this.writer!;
    let out = '';
    for (const ev of this.sse.push(chunk, end)) {
      if (writer.finished) continue;
      if (ev.data === undefined) {
        // Google writes an error that ends a stream as its error JSON outside the SSE framing
        // (no `data:` line), after the events so far: skipping it would end the client's
        // stream as if the answer were whole.
        const e = ev.raw.trimStart().startsWith('{') ? parseGoogleError(ev.raw) : undefined;
        if (e) out += this.writers.streamError(writer, e);
        continue;
      }
      if (ev.data.trim() === '') continue;
      const res = asResponse(parseUpstreamJson(ev.data));
      if ((res as { error?: unknown }).error) {
        out += this.writers.streamError(writer, parseGoogleError(ev.data));
        continue;
      }
      out += writer.event(res);
    }
    if (end) out += writer.end();
    return Buffer.from(out);
  }

  usage(): Usage {
    return this.writer ? this.writer.usage : this.plainUsage;
  }

  responseModel(): string | undefined {
    return this.writer ? this.writer.responseModel : this.plainModel;
  }

  progress(): ResponseProgress {
    return this.writer ? this.writer.progress : this.plainProgress;
  }
}

export function asResponse(v: unknown): GenerateContentResponse {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('upstream_response_invalid', 'the Gemini response is not a GenerateContentResponse object');
  return v as GenerateContentResponse;
}
