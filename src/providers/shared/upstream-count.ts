// A client's token count answered by the provider's own counting API (Anthropic's
// count_tokens, Gemini's countTokens), whatever the client's dialect: the response half every
// such translator shares. The answer is read whole; a 2xx one gives the count, which the
// subclass writes in its client's shape, and an error keeps its status and gets the client's
// error shape. Counting generates nothing and is not billed.
import { GatewayError } from '../../errors.js';
import { type ResponseProgress, WholeBodyProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from './body.js';

export abstract class UpstreamTokenCount implements Translator {
  private status = 0;
  private readonly body = new BodyCollector();
  private readonly done = new WholeBodyProgress();
  protected answeredModel: string | undefined;

  abstract request(body: unknown, raw: Buffer | undefined): UpstreamRequest;
  /** The count in a 2xx answer, or undefined when the answer holds none. */
  protected abstract count(json: unknown): number | undefined;
  /** An upstream error body in the client's error shape. */
  protected abstract error(status: number, body: Buffer): Buffer;
  /** The count as the client's dialect answers it. */
  protected abstract answer(n: number): unknown;

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    if (status >= 200 && status < 300) requireIdentityEncoding(headers);
    return { rewritesBody: true, setHeaders: { 'content-type': 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    this.done.markComplete();
    if (this.status < 200 || this.status >= 300) return this.error(this.status, whole);
    const n = this.count(parseUpstreamJson(whole));
    if (n === undefined) throw new GatewayError('upstream_response_invalid', 'the token count answer holds no count');
    return Buffer.from(JSON.stringify(this.answer(n)));
  }

  /** Counting tokens generates nothing and is not billed. */
  usage(): Usage {
    return {};
  }

  responseModel(): string | undefined {
    return this.answeredModel;
  }

  progress(): ResponseProgress {
    return this.done;
  }
}
