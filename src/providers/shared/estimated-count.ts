// Token counts for providers without a token counting API (OpenAI, Azure OpenAI, Bedrock;
// Anthropic for Gemini clients; Claude on Vertex; every provider but OpenAI for OpenAI's
// Responses input_tokens): Anthropic's /v1/messages/count_tokens answered as
// `{"input_tokens": N}`, Gemini's `models/{model}:countTokens` as `{"totalTokens": N}`, OpenAI's
// POST /v1/responses/input_tokens as `{"object": "response.input_tokens", "input_tokens": N}`, by
// the gateway itself, counted with the tokenizer the usage estimates use (tiktoken, in its own
// thread), and said so in the `x-llm-tokens-estimated: true` response header. Nothing is sent upstream.
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import { GatewayError } from '../../errors.js';
import { promptText } from '../../usage/estimate.js';
import { WholeBodyProgress } from '../../usage/progress.js';
import { countTokensOffThread } from '../../usage/tokenizer-thread.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { inputTokensAnswer } from './responses-input-tokens.js';

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

/**
 * What the model reads in a Responses API input_tokens body: the instructions, the input (a
 * string, or items: message text and refusal parts, a function call's name and arguments, a
 * function call output), and the tools as the other estimates count them (names and
 * descriptions). Images, files and reasoning items (OpenAI's encrypted reasoning) are not text.
 */
export function responsesCountText(body: Record<string, unknown>): string {
  const out: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v !== '') out.push(v);
  };
  push(body.instructions);
  const input = body.input;
  if (typeof input === 'string') push(input);
  else if (Array.isArray(input)) for (const item of input) if (item && typeof item === 'object') responsesItemText(item as Record<string, unknown>, push);
  push(promptText({ tools: body.tools }));
  return out.join('\n');
}

function responsesItemText(item: Record<string, unknown>, push: (v: unknown) => void): void {
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type === 'message') partsText(item.content, push);
  else if (type === 'function_call') {
    push(item.name);
    push(item.arguments);
  } else if (type === 'function_call_output') partsText(item.output, push);
}

/** A message's content or a call output: a string, or parts whose text (or refusal) is read. */
function partsText(content: unknown, push: (v: unknown) => void): void {
  if (typeof content === 'string') return push(content);
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (!part || typeof part !== 'object') continue;
    const p = part as Record<string, unknown>;
    push(p.text);
    push(p.refusal);
  }
}

/**
 * What a Responses count cannot see: state kept by OpenAI (an earlier response, a conversation,
 * a stored prompt). Counting without it would answer too low, so it is refused, as the
 * Responses API itself is refused on these providers.
 */
const RESPONSES_STATEFUL: Record<string, string> = {
  previous_response_id: 'the gateway keeps no responses to count from; send the whole conversation in input',
  conversation: 'the gateway keeps no conversations; send the whole conversation in input',
  prompt: 'the gateway keeps no stored prompts; send instructions and input',
};

function responsesText(body: Record<string, unknown>): string {
  for (const [key, why] of Object.entries(RESPONSES_STATEFUL)) {
    const v = body[key];
    if (v !== undefined && v !== null) throw new GatewayError('unsupported_field', why, key);
  }
  return responsesCountText(body);
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

const RESPONSES: CountShape = {
  text: responsesText,
  asked: (body) => nonEmpty(body.model),
  answer: inputTokensAnswer,
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

/** OpenAI's POST /v1/responses/input_tokens (the model from the body). `model`: as for EstimatedAnthropicTokenCount. */
export class EstimatedResponsesTokenCount extends EstimatedTokenCount {
  constructor(ctx: TranslationContext, model?: string) {
    super(ctx, RESPONSES, model);
  }
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
