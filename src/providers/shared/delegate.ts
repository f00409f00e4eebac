// A translator that picks the real one in request() (Azure: the deployment path; Vertex:
// Gemini or Claude by model) and hands it the whole response side.
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';

export abstract class DelegatingTranslator implements Translator {
  protected inner: Translator | undefined;

  abstract request(body: unknown, raw: Buffer | undefined): UpstreamRequest;

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    return this.delegate().responseHeaders(status, headers);
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    return this.delegate().responseChunk(chunk, end);
  }

  usage(): Usage {
    return this.inner?.usage() ?? {};
  }

  responseModel(): string | undefined {
    return this.inner?.responseModel();
  }

  progress(): ResponseProgress {
    return this.delegate().progress();
  }

  private delegate(): Translator {
    if (!this.inner) throw new Error(`${this.constructor.name} used before its request`);
    return this.inner;
  }
}
