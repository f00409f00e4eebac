// The translators whose answer is one JSON document rewritten whole (token counts, embeddings):
// the body is collected, an error answer is given the client's error shape by the subclass,
// and a 2xx one is parsed (refusing a content-encoded body, which could not be read) and
// rewritten. What is counted of it, the subclass says.
import { type ResponseProgress, WholeBodyProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from './body.js';

export abstract class WholeAnswerTranslator implements Translator {
  private status = 0;
  private readonly collector = new BodyCollector();
  private readonly answered = new WholeBodyProgress();

  abstract request(body: unknown, raw: Buffer | undefined): UpstreamRequest;
  /** An upstream error body in the client's error shape. */
  protected abstract error(status: number, body: Buffer): Buffer;
  /** A 2xx answer, parsed, as the client's answer. */
  protected abstract rewrite(json: unknown): unknown;

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    if (status >= 200 && status < 300) requireIdentityEncoding(headers);
    return { rewritesBody: true, setHeaders: { 'content-type': 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    const whole = this.collector.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    this.answered.markComplete();
    if (this.status < 200 || this.status >= 300) return this.error(this.status, whole);
    return Buffer.from(JSON.stringify(this.rewrite(parseUpstreamJson(whole))));
  }

  usage(): Usage {
    return {};
  }

  responseModel(): string | undefined {
    return undefined;
  }

  progress(): ResponseProgress {
    return this.answered;
  }
}
