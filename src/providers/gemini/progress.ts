// What a GenerateContentResponse (a whole body, or one event of a stream) says about the
// answer: generated text and call arguments (thoughts are not the answer), finish
// reasons, and whether it is the last event (every candidate finished, or the prompt
// was blocked). Shared by the same-dialect observer and the OpenAI chunk writer.
import type { GenerateContentResponse } from '../../dialects/gemini/types.js';
import type { ResponseProgress } from '../../usage/progress.js';

/** Follows one response or event; returns whether it finishes the answer. */
export function observeGemini(progress: ResponseProgress, res: GenerateContentResponse, whole: boolean): boolean {
  const candidates = Array.isArray(res.candidates) ? res.candidates : [];
  for (const c of candidates) {
    for (const p of c?.content?.parts ?? []) {
      if (typeof p.text === 'string' && p.thought !== true) progress.text(p.text);
      if (p.functionCall) progress.text(JSON.stringify(p.functionCall.args ?? {}));
    }
    progress.finish(c?.finishReason);
  }
  const blocked = res.promptFeedback?.blockReason !== undefined;
  if (blocked) progress.finish(res.promptFeedback!.blockReason);
  const finishing = whole || blocked || candidates.some((c) => c?.finishReason !== undefined);
  if (finishing) progress.markComplete();
  return finishing;
}
