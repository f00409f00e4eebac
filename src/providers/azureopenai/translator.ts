// Azure OpenAI out, for every client dialect the OpenAI provider translates. Azure
// speaks OpenAI's bodies but routes by path: /openai/deployments/{deployment}/
// {operation}?api-version=… (the Responses API: the v1 API's /openai/v1/responses…).
// Everything about bodies, streams and usage is the OpenAI provider's translators' (same
// dialect, Anthropic's, Gemini's); this wrapper only decides the deployment, the API
// version and the path, and hands them the result.
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import { responsesTail } from '../../dialects/openai/index.js';
import type { DialectName, Operation } from '../../dialects/types.js';
import { GatewayError } from '../../errors.js';
import type { ChatTarget } from '../openai/chat-target.js';
import { AnthropicToOpenAI } from '../openai/from-anthropic.js';
import { GeminiToOpenAI } from '../openai/from-gemini.js';
import { isResponsesCall, OpenAIResponsesSameDialect } from '../openai/responses.js';
import { OpenAISameDialect } from '../openai/same-dialect.js';
import { DelegatingTranslator } from '../shared/delegate.js';
import { EstimatedAnthropicTokenCount, EstimatedGeminiTokenCount } from '../shared/estimated-count.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';

/** The GA API version used when neither the backend nor the client names one. */
export const DEFAULT_API_VERSION = '2024-10-21';

const OPERATION_PATH: Partial<Record<Operation, string>> = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
};

/** What each client dialect can reach on Azure: OpenAI's own operations, chat from the others. */
const SERVED: Record<DialectName, readonly Operation[]> = {
  openai: ['chat', 'completions', 'embeddings', 'responses', 'responses_compact', 'responses_state', 'other'],
  anthropic: ['chat', 'other'],
  gemini: ['chat', 'other'],
};

export function serves(dialect: DialectName, op: Operation): boolean {
  return SERVED[dialect].includes(op);
}

export class AzureOpenAITranslator extends DelegatingTranslator {
  constructor(private readonly ctx: TranslationContext) {
    super();
  }

  request(body: unknown, raw: Buffer | undefined): UpstreamRequest {
    const { ctx } = this;
    if (ctx.dialect === 'openai' && isResponsesCall(ctx)) return this.responses(body);
    if (ctx.dialect === 'openai') {
      const deployment = this.deployment(nonEmpty((body as { model?: unknown } | undefined)?.model));
      const inner = new OpenAISameDialect(ctx, { path: this.path(deployment, OPERATION_PATH[ctx.operation]!), modelOptional: true });
      this.inner = inner;
      const up = inner.request(body);
      return { ...up, model: up.model ?? deployment };
    }
    if (ctx.dialect === 'anthropic' && ctx.operation === 'other') {
      // count_tokens: estimated by the gateway with the deployment's tokenizer; nothing goes to Azure.
      const inner = new EstimatedAnthropicTokenCount(ctx, this.deployment(nonEmpty((body as { model?: unknown } | undefined)?.model)));
      this.inner = inner;
      return inner.request(body);
    }
    if (ctx.dialect === 'gemini' && ctx.operation === 'other') {
      // Gemini's countTokens: the same estimate, the path's model naming the deployment.
      const inner = new EstimatedGeminiTokenCount(ctx, this.deployment(nonEmpty(matchGeminiPath(ctx.path)?.pathModel)));
      this.inner = inner;
      return inner.request(body);
    }
    const target = (model: string | undefined): ChatTarget => {
      const deployment = this.deployment(model);
      // The deployment names what runs; a route or backend model pin still wins in the body.
      return { path: this.path(deployment, 'chat/completions'), model: ctx.model ?? deployment, maxTokensField: maxTokensField(this.apiVersion()) };
    };
    const inner: Translator = ctx.dialect === 'anthropic' ? new AnthropicToOpenAI(ctx, target) : new GeminiToOpenAI(ctx, target);
    this.inner = inner;
    return inner.request(body, raw);
  }

  /**
   * A route or backend deployment wins; else the model names the deployment, as Azure
   * deployments are usually named after the model they serve.
   */
  private deployment(model: string | undefined): string {
    const deployment = nonEmpty(this.ctx.options.deployment) ?? this.ctx.model ?? model;
    if (!deployment) {
      throw new GatewayError('missing_model', 'the request names no model, and the backend or route names no Azure deployment', 'model');
    }
    return deployment;
  }

  /**
   * The backend's version wins; else the client's (Azure SDKs send the one they were
   * written against); else the GA default. Other dialects' query parameters (Gemini's
   * alt=sse and key, Anthropic's beta) mean nothing to Azure and stay behind.
   */
  private apiVersion(): string {
    const client = this.ctx.dialect === 'openai' ? new URLSearchParams(this.ctx.query).get('api-version') : null;
    return nonEmpty(this.ctx.options.apiVersion) ?? nonEmpty(client) ?? DEFAULT_API_VERSION;
  }

  /**
   * The Responses API lives only in Azure's v1 API (`/openai/v1/responses…`), which routes by
   * the body's model (the deployment) and takes no dated api-version: one meant for the
   * deployment paths is not sent; `preview` (preview features) and `v1` are.
   */
  private responses(body: unknown): UpstreamRequest {
    const { ctx } = this;
    const stored = ctx.operation === 'responses_state';
    const deployment = stored ? undefined : this.deployment(nonEmpty((body as { model?: unknown } | undefined)?.model));
    const query = new URLSearchParams(ctx.query);
    const version = [ctx.options.apiVersion, query.get('api-version')].find((v) => v === 'preview' || v === 'v1');
    if (version) query.set('api-version', version as string);
    else query.delete('api-version');
    const search = query.toString();
    const path = `/openai/v1${responsesTail(ctx.path) ?? '/responses'}${search ? `?${search}` : ''}`;
    const inner = new OpenAIResponsesSameDialect(ctx, { path, model: deployment });
    this.inner = inner;
    return inner.request(body);
  }

  private path(deployment: string, operation: string): string {
    const query = new URLSearchParams(this.ctx.dialect === 'openai' ? this.ctx.query : '');
    query.set('api-version', this.apiVersion());
    return `/openai/deployments/${encodeURIComponent(deployment)}/${operation}?${query}`;
  }
}

/**
 * max_completion_tokens came with API version 2024-09-01-preview (Azure's o1 models
 * refuse max_tokens); older versions know only max_tokens. Non-date versions
 * (`preview`, `latest` of the v1 API) are the newest.
 */
export function maxTokensField(apiVersion: string): ChatTarget['maxTokensField'] {
  const date = /^\d{4}-\d{2}-\d{2}/.exec(apiVersion)?.[0];
  return date !== undefined && date < '2024-09-01' ? 'max_tokens' : 'max_completion_tokens';
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
