// OpenAI's POST /v1/responses/input_tokens answered by a provider's own token counting API
// (Anthropic's count_tokens, Gemini's countTokens): the response half every such translator
// shares. The count comes back as `{"object": "response.input_tokens", "input_tokens": N}`;
// an upstream error keeps its status and is given OpenAI's error shape by the subclass.
// Where the provider has no counting API, EstimatedResponsesTokenCount (estimated-count.ts)
// answers instead.
import { GatewayError } from '../../errors.js';
import { type ResponseProgress, WholeBodyProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding } from './body.js';

/** OpenAI's answer to POST /v1/responses/input_tokens. */
export function inputTokensAnswer(n: number): { object: 'response.input_tokens'; input_tokens: number } {
  return { object: 'response.input_tokens', input_tokens: n };
}

export abstract class UpstreamInputTokenCount implements Translator {
  private status = 0;
  private readonly body = new BodyCollector();
  private readonly done = new WholeBodyProgress();
  protected answeredModel: string | undefined;

  abstract request(body: unknown, raw: Buffer | undefined): UpstreamRequest;
  /** The count in a 2xx answer, or undefined when the answer holds none. */
  protected abstract count(json: unknown): number | undefined;
  /** An upstream error body in OpenAI's error shape. */
  protected abstract error(status: number, body: Buffer): Buffer;

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
    return Buffer.from(JSON.stringify(inputTokensAnswer(n)));
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
