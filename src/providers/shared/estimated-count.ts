// Anthropic's /v1/messages/count_tokens for providers without a token counting API
// (OpenAI, Azure OpenAI, Bedrock): the gateway answers `{"input_tokens": N}` itself, counted
// with the tokenizer the usage estimates use (tiktoken, in its own thread), and says so in
// the `x-llm-tokens-estimated: true` response header. Nothing is sent upstream.
import { GatewayError } from '../../errors.js';
import { promptText } from '../../usage/estimate.js';
import { WholeBodyProgress } from '../../usage/progress.js';
import { countTokensOffThread } from '../../usage/tokenizer-thread.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';

export const ESTIMATED_HEADER = 'x-llm-tokens-estimated';

export class EstimatedAnthropicTokenCount implements Translator {
  private readonly done = new WholeBodyProgress();

  /** `model`: what the count is for (a deployment on Azure), when the route or backend names it. */
  constructor(
    private readonly ctx: TranslationContext,
    private readonly model?: string,
  ) {}

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a count_tokens request needs a JSON body');
    const asked = (body as { model?: unknown }).model;
    const model = this.model ?? this.ctx.model ?? (typeof asked === 'string' && asked !== '' ? asked : undefined);
    if (model === undefined) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    // What the model reads: system, messages and tool definitions, not base64 media.
    const { system, messages, tools } = body as Record<string, unknown>;
    const text = promptText({ system, messages, tools });
    return {
      path: this.ctx.path,
      model,
      stream: false,
      localAnswer: async () => {
        const [n] = await countTokensOffThread([text], model);
        this.done.markComplete();
        return {
          status: 200,
          headers: { 'content-type': 'application/json', [ESTIMATED_HEADER]: 'true' },
          body: Buffer.from(JSON.stringify({ input_tokens: n ?? 0 })),
        };
      },
    };
  }

  responseHeaders(): ResponseHeadersResult {
    return { rewritesBody: false };
  }

  responseChunk(): undefined {
    return undefined;
  }

  /** Counting tokens generates nothing and is not billed. */
  usage(): Usage {
    return {};
  }

  responseModel(): string | undefined {
    return undefined;
  }

  progress(): WholeBodyProgress {
    return this.done;
  }
}
