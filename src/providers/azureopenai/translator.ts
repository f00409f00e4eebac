// OpenAI dialect in, Azure OpenAI out. Azure speaks OpenAI's bodies but routes by
// path: /openai/deployments/{deployment}/{operation}?api-version=…. Everything
// about bodies, streams and usage is the OpenAI same-dialect translator's; this
// wrapper only decides the deployment, the API version and the path.
import { GatewayError } from '../../errors.js';
import { OpenAISameDialect } from '../openai/same-dialect.js';
import { DelegatingTranslator } from '../shared/delegate.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';

/** The GA API version used when neither the backend nor the client names one. */
export const DEFAULT_API_VERSION = '2024-10-21';

const OPERATION_PATH: Partial<Record<TranslationContext['operation'], string>> = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
};

export function servesOperation(op: TranslationContext['operation']): boolean {
  return OPERATION_PATH[op] !== undefined;
}

export class AzureOpenAITranslator extends DelegatingTranslator {
  constructor(private readonly ctx: TranslationContext) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const bodyModel = (body as { model?: unknown } | undefined)?.model;
    // A route or backend deployment wins; else the model names the deployment, as
    // Azure deployments are usually named after the model they serve.
    const deployment = nonEmpty(ctx.options.deployment) ?? ctx.model ?? nonEmpty(bodyModel);
    if (!deployment) {
      throw new GatewayError('missing_model', 'the request names no model, and the backend or route names no Azure deployment', 'model');
    }
    const query = new URLSearchParams(ctx.query);
    // The backend's version wins; else the client's (Azure SDKs send the one they were
    // written against); else the GA default.
    query.set('api-version', nonEmpty(ctx.options.apiVersion) ?? nonEmpty(query.get('api-version')) ?? DEFAULT_API_VERSION);
    const path = `/openai/deployments/${encodeURIComponent(deployment)}/${OPERATION_PATH[ctx.operation]}?${query}`;
    const inner = new OpenAISameDialect(ctx, { path, modelOptional: true });
    this.inner = inner;
    const up = inner.request(body);
    return { ...up, model: up.model ?? deployment };
  }
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
