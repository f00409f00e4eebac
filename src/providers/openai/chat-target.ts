// Where a request translated into Chat Completions goes, and how it names its model
// and output limit: OpenAI's own /v1/chat/completions (or a compatible server's, under
// its base path), or another provider's route to the same API (Azure's deployments).
// Translators from other dialects take a ChatTarget instead of building paths.
import type { TranslationContext } from '../types.js';
import { withBasePath } from '../shared/base-path.js';

export interface ChatTarget {
  /** Upstream path with its query. */
  path: string;
  /** The model written into the body (and reported as the request model). */
  model: string;
  /** `max_completion_tokens` where the API takes it (its reasoning models refuse `max_tokens`); `max_tokens` for compatible servers. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

/**
 * Builds the target from the request's model (route, backend or client; undefined when none
 * names one). Undefined back means there is no model to ask for: a 400 missing_model.
 */
export type ChatTargetFor = (model: string | undefined) => ChatTarget | undefined;

export function openAIChatTarget(ctx: TranslationContext, model: string | undefined): ChatTarget | undefined {
  if (model === undefined) return undefined;
  return {
    path: withBasePath(ctx.backend, '/v1/chat/completions'),
    model,
    maxTokensField: ctx.backend.host === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens',
  };
}
