// What a translator records of a whole OpenAI chat completion it rewrites for another dialect:
// its usage, the model that answered, and the progress (text for estimates, finish reasons).
import type { ChatCompletion } from '../../dialects/openai/types.js';
import { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { fromOpenAIUsage } from './usage.js';

export class CompletionRecord {
  usage: Usage = {};
  model: string | undefined;
  readonly progress = new ResponseProgress();

  observe(completion: ChatCompletion): void {
    this.usage = fromOpenAIUsage(completion.usage) ?? {};
    this.model = completion.model;
    for (const c of completion.choices ?? []) {
      this.progress.text(c.message?.content);
      for (const t of c.message?.tool_calls ?? []) this.progress.text(t.function?.arguments);
      this.progress.finish(c.finish_reason);
    }
    this.progress.markComplete();
  }
}
