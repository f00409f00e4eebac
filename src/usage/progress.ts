// What a response has said about itself so far, kept the same way by every translator:
// whether its last event has been seen (so the final counts can be written before a
// client that stops reading there hangs up), the finish reasons (for traces), and the
// generated text (content and tool-call arguments, for a tokenizer estimate when the
// provider reports no usage or the stream ends early).

/** Text beyond this is not kept: an estimate of a longer answer undercounts rather than hoards memory. */
const MAX_TEXT_CHARS = 8 * 1024 * 1024;

export class ResponseProgress {
  private done = false;
  private readonly reasons: string[] = [];
  private readonly parts: string[] = [];
  private chars = 0;

  /**
   * @param lazyText for translators that keep raw events and extract text only when an
   *   estimate is needed (a same-dialect stream forwarded untouched), instead of on every event.
   */
  constructor(private readonly lazyText?: () => string | undefined) {}

  /** The response's terminal event (or its whole body) arrived: nothing after it adds output. */
  markComplete(): void {
    this.done = true;
  }

  get complete(): boolean {
    return this.done;
  }

  /** A finish reason as the provider named it (stop, end_turn, STOP, tool_use…). */
  finish(reason: unknown): void {
    if (typeof reason === 'string' && reason !== '') this.reasons.push(reason);
  }

  get finishReasons(): readonly string[] {
    return this.reasons;
  }

  /** Generated text, in arrival order. */
  text(s: unknown): void {
    if (typeof s !== 'string' || s === '' || this.chars >= MAX_TEXT_CHARS) return;
    this.parts.push(s);
    this.chars += s.length;
  }

  /** Everything generated so far; undefined when this response carries no generated text (embeddings). */
  outputText(): string | undefined {
    if (this.lazyText) return this.lazyText();
    return this.parts.join('');
  }
}

/** For translators of operations that generate no text (embeddings, token counts): complete at the body's end. */
export class WholeBodyProgress extends ResponseProgress {
  override outputText(): undefined {
    return undefined;
  }
}
