// A client's token count answered by the provider's own counting API (Anthropic's
// count_tokens, Gemini's countTokens), whatever the client's dialect: the response half every
// such translator shares. The answer is read whole; a 2xx one gives the count, which the
// subclass writes in its client's shape, and an error keeps its status and gets the client's
// error shape. Counting generates nothing and is not billed.
import { GatewayError } from '../../errors.js';
import { WholeAnswerTranslator } from './whole-answer.js';

export abstract class UpstreamTokenCount extends WholeAnswerTranslator {
  protected answeredModel: string | undefined;

  /** The count in a 2xx answer, or undefined when the answer holds none. */
  protected abstract count(json: unknown): number | undefined;
  /** The count as the client's dialect answers it. */
  protected abstract answer(n: number): unknown;

  protected rewrite(json: unknown): unknown {
    const n = this.count(json);
    if (n === undefined) throw new GatewayError('upstream_response_invalid', 'the token count answer holds no count');
    return this.answer(n);
  }

  // Counting tokens generates nothing and is not billed: usage() stays empty.
  override responseModel(): string | undefined {
    return this.answeredModel;
  }
}
