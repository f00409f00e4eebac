// Another dialect's token count answered by Gemini's countTokens (AI Studio, or Vertex's
// Gemini models through another GeminiTarget): the client's conversation translated as for
// generateContent, without the generation and tool-calling settings (they change no count),
// sent to the target's countTokens, and the total written back in the client's shape. What
// differs per client dialect (reading its body, its error and count shapes) is a
// CountingClient; the answer is read by the shared half (../shared/upstream-count.ts).
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import { UpstreamTokenCount } from '../shared/upstream-count.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import type { GeminiTarget } from './target.js';

export interface CountingClient {
  /** The client's body as the contents Gemini counts, and the model to count with. */
  counted(body: unknown, ctx: TranslationContext, target: GeminiTarget): { counted: GenerateContentRequest; model: string };
  /** An upstream error in the client's error shape. */
  error(status: number, body: Buffer): Buffer;
  /** The total as the client's dialect answers a count. */
  answer(n: number): unknown;
  /** Client headers that must not reach Google (accept-encoding always: the answer is rewritten). */
  removeHeaders: string[];
}

/** What Gemini's countTokens answers: the total, and the model version that counted, if given. */
function countTokensAnswer(json: unknown): { total: number | undefined; model: string | undefined } {
  const res = json as { totalTokens?: unknown; modelVersion?: unknown } | null;
  return { total: typeof res?.totalTokens === 'number' ? res.totalTokens : undefined, model: typeof res?.modelVersion === 'string' ? res.modelVersion : undefined };
}

export class GeminiTokenCount extends UpstreamTokenCount {
  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: GeminiTarget,
    private readonly client: CountingClient,
  ) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    const { counted, model } = this.client.counted(body, this.ctx, this.target);
    return {
      path: this.target.path(model, 'countTokens'),
      body: Buffer.from(JSON.stringify(this.target.countTokensBody(counted, model))),
      removeHeaders: this.client.removeHeaders,
      model,
      stream: false,
    };
  }

  protected count(json: unknown): number | undefined {
    const { total, model } = countTokensAnswer(json);
    this.answeredModel = model;
    return total;
  }

  protected error(status: number, body: Buffer): Buffer {
    return this.client.error(status, body);
  }

  protected answer(n: number): unknown {
    return this.client.answer(n);
  }
}
