// The response half shared by every Bedrock translator: plain JSON bodies are
// collected and rewritten at the end; ConverseStream's binary event stream is
// decoded frame by frame and re-emitted as the client dialect's SSE as it arrives;
// error bodies keep their status and are rendered in the client's error shape.
import { renderError } from '../../dialects/index.js';
import type { DialectName } from '../../dialects/types.js';
import { GatewayError } from '../../errors.js';
import { EventStreamDecoder, EventStreamError, type EventStreamMessage, eventJson } from '../../usage/eventstream.js';
import { ResponseProgress, WholeBodyProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector } from '../shared/body.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';
import type { ContentBlockDeltaEvent, ConverseResponse, MessageStopEvent } from './converse-types.js';
import { JSON_HEADERS, parseUpstreamError, parseUpstreamJson, type ResponseIdentity, responseIdentity } from './shared.js';

/** Turns ConverseStream events into client SSE text, one event at a time. */
export interface StreamRenderer {
  /** A `:message-type: event` frame, by its `:event-type`. */
  event(type: string, payload: unknown): string;
  /** An exception frame (throttlingException…), or a `:message-type: error` frame. */
  exception(type: string, message: string): string;
  /** The upstream body ended; `cut` when it stopped mid-frame. */
  end(cut: boolean): string;
  usage(): Usage;
}

type Mode = 'plain' | 'stream' | 'error';

export abstract class BedrockTranslator implements Translator {
  protected modelId: string | undefined;
  protected seenUsage: Usage = {};
  private mode: Mode = 'plain';
  private status = 0;
  private errorType: string | undefined;
  private identity: ResponseIdentity | undefined;
  private readonly body = new BodyCollector();
  private readonly decoder = new EventStreamDecoder();
  private renderer: StreamRenderer | undefined;
  private readonly answer: ResponseProgress;
  /** The event stream held bytes that are no frame: the client got an error event, the rest is dropped. */
  private broken = false;

  /** @param generates false for operations whose answer is no text (embeddings). */
  constructor(
    private readonly clientDialect: DialectName,
    generates = true,
  ) {
    this.answer = generates ? new ResponseProgress() : new WholeBodyProgress();
  }

  abstract request(body: unknown, raw: Buffer | undefined): UpstreamRequest;

  /** The client body for a 2xx JSON response. */
  protected abstract plain(json: unknown, id: ResponseIdentity): unknown;

  /** A renderer for a streamed response; undefined for operations that never stream. */
  protected abstract streamRenderer(id: ResponseIdentity): StreamRenderer | undefined;

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    this.identity = responseIdentity(headers);
    const type = headers.get('content-type') ?? '';
    if (status < 200 || status >= 300) {
      this.mode = 'error';
      this.errorType = headers.get('x-amzn-errortype');
      return { rewritesBody: true, setHeaders: JSON_HEADERS };
    }
    if (type.includes('application/vnd.amazon.eventstream')) {
      this.renderer = this.streamRenderer(this.identity);
      if (!this.renderer) throw new GatewayError('upstream_response_invalid', 'Bedrock answered with an event stream where a JSON body was expected');
      this.mode = 'stream';
      return { rewritesBody: true, setHeaders: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } };
    }
    this.mode = 'plain';
    return { rewritesBody: true, setHeaders: JSON_HEADERS };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    if (this.mode === 'stream') return Buffer.from(this.streamChunk(chunk, end));
    const whole = this.body.push(chunk, end);
    // Nothing reaches the client until the whole document can be rewritten.
    if (!whole) return Buffer.alloc(0);
    this.answer.markComplete();
    if (this.mode === 'error') {
      const e = parseUpstreamError(this.status, this.errorType, whole);
      return renderError(this.clientDialect, { status: e.status, code: e.code, message: e.message });
    }
    const json = parseUpstreamJson(whole);
    observeConverse(this.answer, json as ConverseResponse);
    const out = this.plain(json, this.identity!);
    return Buffer.from(JSON.stringify(out));
  }

  usage(): Usage {
    return this.renderer?.usage() ?? this.seenUsage;
  }

  responseModel(): string | undefined {
    // Converse does not name the model in its answer: the one asked for answered.
    return this.modelId;
  }

  progress(): ResponseProgress {
    return this.answer;
  }

  private streamChunk(chunk: Buffer, end: boolean): string {
    const renderer = this.renderer!;
    if (this.broken) return '';
    let messages: EventStreamMessage[];
    let bad: EventStreamError | undefined;
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof EventStreamError)) throw err;
      messages = err.decoded;
      bad = err;
    }
    let out = '';
    for (const m of messages) out += this.dispatch(renderer, m);
    if (bad) {
      // Every whole frame went out; the garbage after them ends the stream with an error event
      // in the client's dialect, and whatever follows is dropped.
      this.broken = true;
      if (this.answer.complete) return out; // garbage after the closing metadata event: the answer is whole
      this.answer.markComplete();
      return out + renderer.exception('internalServerException', `the Bedrock stream broke: ${bad.message}`) + renderer.end(false);
    }
    if (end) out += renderer.end(this.decoder.pending > 0);
    return out;
  }

  private dispatch(renderer: StreamRenderer, m: EventStreamMessage): string {
    const kind = m.headers[':message-type'];
    if (kind === 'event') {
      let payload: unknown;
      try {
        payload = eventJson(m);
      } catch (err) {
        throw new GatewayError('upstream_response_invalid', (err as Error).message);
      }
      const type = m.headers[':event-type'] ?? '';
      this.follow(type, payload);
      return renderer.event(type, payload);
    }
    if (kind === 'exception') {
      const body = Buffer.from(m.body).toString('utf8');
      let message = body;
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // keep the raw text
      }
      this.answer.markComplete();
      return renderer.exception(m.headers[':exception-type'] ?? 'exception', message);
    }
    if (kind === 'error') {
      this.answer.markComplete();
      return renderer.exception(m.headers[':error-code'] ?? 'error', m.headers[':error-message'] ?? 'event stream error');
    }
    return '';
  }

  /** ConverseStream events, whatever the client dialect: text and tool input, the stop reason, and the closing metadata event. */
  private follow(type: string, payload: unknown): void {
    if (type === 'contentBlockDelta') {
      const d = (payload as ContentBlockDeltaEvent).delta;
      this.answer.text(d?.text ?? d?.toolUse?.input);
    } else if (type === 'messageStop') this.answer.finish((payload as MessageStopEvent).stopReason);
    // Usage arrives after messageStop, in the metadata event that closes the stream.
    else if (type === 'metadata') this.answer.markComplete();
  }
}

function observeConverse(progress: ResponseProgress, res: ConverseResponse): void {
  for (const block of res?.output?.message?.content ?? []) {
    if ('text' in block) progress.text(block.text);
    else if ('toolUse' in block) progress.text(JSON.stringify(block.toolUse.input ?? {}));
  }
  progress.finish(res?.stopReason);
}
