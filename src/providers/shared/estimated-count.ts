// Token counts for providers without a token counting API (OpenAI, Azure OpenAI, Bedrock;
// Anthropic for Gemini clients): Anthropic's /v1/messages/count_tokens answered as
// `{"input_tokens": N}`, Gemini's `models/{model}:countTokens` as `{"totalTokens": N}`, by the
// gateway itself, counted with the tokenizer the usage estimates use (tiktoken, in its own
// thread), and said so in the `x-llm-tokens-estimated: true` response header. Nothing is sent upstream.
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import { GatewayError } from '../../errors.js';
import { promptText } from '../../usage/estimate.js';
import { WholeBodyProgress } from '../../usage/progress.js';
import { countTokensOffThread } from '../../usage/tokenizer-thread.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';

export const ESTIMATED_HEADER = 'x-llm-tokens-estimated';

/** What the model reads in an Anthropic Messages body: system, messages and tool definitions, not base64 media. */
function anthropicCountText(body: Record<string, unknown>): string {
  const { system, messages, tools } = body;
  return promptText({ system, messages, tools });
}

/**
 * What the model reads in a Gemini countTokens body: its contents, or the wrapped
 * generateContentRequest's system instruction, contents and tools (Google then ignores the
 * top-level contents), not inline media.
 */
export function geminiCountText(body: Record<string, unknown>): string {
  const wrapped = body.generateContentRequest;
  if (wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped)) {
    const { systemInstruction, contents, tools } = wrapped as Record<string, unknown>;
    return promptText({ systemInstruction, contents, tools });
  }
  return promptText({ contents: body.contents });
}

/** One count request's dialect: what to count, the model the client names, the answer's shape. */
interface CountShape {
  text(body: Record<string, unknown>): string;
  asked(body: Record<string, unknown>, ctx: TranslationContext): string | undefined;
  answer(tokens: number): unknown;
}

const ANTHROPIC: CountShape = {
  text: anthropicCountText,
  asked: (body) => nonEmpty(body.model),
  answer: (n) => ({ input_tokens: n }),
};

const GEMINI: CountShape = {
  text: geminiCountText,
  asked: (_body, ctx) => nonEmpty(matchGeminiPath(ctx.path)?.pathModel),
  answer: (n) => ({ totalTokens: n }),
};

class EstimatedTokenCount implements Translator {
  private readonly done = new WholeBodyProgress();

  constructor(
    private readonly ctx: TranslationContext,
    private readonly shape: CountShape,
    private readonly model?: string,
  ) {}

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a count_tokens request needs a JSON body');
    const b = body as Record<string, unknown>;
    const model = this.model ?? this.ctx.model ?? this.shape.asked(b, this.ctx);
    if (model === undefined) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    const text = this.shape.text(b);
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
          body: Buffer.from(JSON.stringify(this.shape.answer(n ?? 0))),
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

/** Anthropic's count_tokens. `model`: what the count is for (a deployment on Azure), when the route or backend names it. */
export class EstimatedAnthropicTokenCount extends EstimatedTokenCount {
  constructor(ctx: TranslationContext, model?: string) {
    super(ctx, ANTHROPIC, model);
  }
}

/** Gemini's countTokens (the model from the path). `model`: as for EstimatedAnthropicTokenCount. */
export class EstimatedGeminiTokenCount extends EstimatedTokenCount {
  constructor(ctx: TranslationContext, model?: string) {
    super(ctx, GEMINI, model);
  }
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
