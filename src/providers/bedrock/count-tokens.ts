// Token counts for Claude on Bedrock answered by Bedrock Runtime's own CountTokens API
// (POST /model/{modelId}/count-tokens, `{"input": {"converse": {...}}}` -> `{"inputTokens": N}`,
// free of charge), for Anthropic's count_tokens, OpenAI's Responses input_tokens and Gemini's
// countTokens. Each client's conversation goes through the very request translation its Converse
// call would (anthropic-request.ts; responsesToChat then openai-request.ts; gemini-chat.ts), so the
// count is of what would be sent; only messages, system and toolConfig are counted (inference and
// model-specific settings change no input count). Bedrock answers CountTokens for Anthropic models
// only, so other models keep the gateway's estimate (index.ts).
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import { matchGeminiPath } from '../../dialects/gemini/index.js';
import { renderError } from '../../dialects/index.js';
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import type { DialectName } from '../../dialects/types.js';
import { GatewayError } from '../../errors.js';
import { DelegatingTranslator } from '../shared/delegate.js';
import { EstimatedAnthropicTokenCount, EstimatedGeminiTokenCount, EstimatedResponsesTokenCount } from '../shared/estimated-count.js';
import { inputTokensAnswer } from '../shared/responses-input-tokens.js';
import { responsesError, responsesToChat, type ResponsesTarget } from '../shared/responses-request.js';
import { UpstreamTokenCount } from '../shared/upstream-count.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { converseFromAnthropic } from './anthropic-request.js';
import type { ConverseRequest } from './converse-types.js';
import { BedrockGeminiChat } from './gemini-chat.js';
import { converseFromOpenAI } from './openai-request.js';
import { isClaudeModel, JSON_HEADERS, modelPath, parseUpstreamError, REMOVE_REQUEST_HEADERS, requireModel } from './shared.js';

/** CountTokens counts for Claude models only; others are estimated. */
export const countsOnBedrock = isClaudeModel;

/**
 * The model id CountTokens takes: Bedrock documents it as a foundation model's id or ARN (and
 * profile ids are reported refused with a ValidationException), so a system-defined inference
 * profile (`us.anthropic.…`, or its ARN) is counted by the model it routes to, whose tokenizer is
 * the same in every region. Application inference profiles name no model and never get here.
 */
export function countModelId(modelId: string): string {
  const profile = /:inference-profile\/(.+)$/.exec(modelId);
  const id = profile ? profile[1]! : modelId;
  const geo = /^[a-z]+(?:-[a-z]+)?\.(anthropic\..+)$/.exec(id);
  return geo ? geo[1]! : id;
}

type Counted = Pick<ConverseRequest, 'messages' | 'system' | 'toolConfig'>;

/** Only what CountTokens' converse input holds (messages, system, toolConfig). */
function counted(req: ConverseRequest): Counted {
  const out: Counted = { messages: req.messages };
  if (req.system !== undefined) out.system = req.system;
  if (req.toolConfig !== undefined) out.toolConfig = req.toolConfig;
  return out;
}

abstract class CountTokensCall extends UpstreamTokenCount {
  private errorType: string | undefined;

  constructor(
    protected readonly ctx: TranslationContext,
    private readonly dialect: DialectName,
    private readonly removeHeaders: string[] = REMOVE_REQUEST_HEADERS,
  ) {
    super();
  }

  /** The model asked for and the Converse request its conversation becomes. */
  protected abstract converse(body: unknown): { model: string; converse: ConverseRequest };

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'a token count request needs a JSON body');
    const { model, converse } = this.converse(body);
    return {
      path: modelPath(countModelId(model), 'count-tokens'),
      body: Buffer.from(JSON.stringify({ input: { converse: counted(converse) } })),
      setHeaders: { ...JSON_HEADERS, accept: 'application/json' },
      removeHeaders: this.removeHeaders,
      model,
      stream: false,
    };
  }

  override responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.errorType = headers.get('x-amzn-errortype');
    return super.responseHeaders(status, headers);
  }

  protected count(json: unknown): number | undefined {
    const n = (json as { inputTokens?: unknown } | null)?.inputTokens;
    return typeof n === 'number' ? n : undefined;
  }

  /** As a Converse error is rendered (base.ts): Bedrock's exception name and message in the client's shape. */
  protected error(status: number, body: Buffer): Buffer {
    const e = parseUpstreamError(status, this.errorType, body);
    return renderError(this.dialect, { status: e.status, code: e.code, message: e.message });
  }
}

/** Anthropic's /v1/messages/count_tokens -> `{"input_tokens": N}`. */
export class BedrockAnthropicTokenCount extends CountTokensCall {
  constructor(ctx: TranslationContext) {
    super(ctx, 'anthropic');
  }

  protected converse(body: unknown): { model: string; converse: ConverseRequest } {
    const req = body as MessagesRequest;
    return { model: requireModel(this.ctx.model, req.model), converse: converseFromAnthropic(req, this.ctx.requestHeaders.get('anthropic-beta')) };
  }

  protected answer(n: number): unknown {
    return { input_tokens: n };
  }
}

/** OpenAI's POST /v1/responses/input_tokens -> `{"object": "response.input_tokens", "input_tokens": N}`. */
export class BedrockResponsesTokenCount extends CountTokensCall {
  constructor(
    ctx: TranslationContext,
    private readonly target: ResponsesTarget,
  ) {
    super(ctx, 'openai');
  }

  protected converse(body: unknown): { model: string; converse: ConverseRequest } {
    const req = body as ResponsesRequest;
    const { chat, origins } = responsesToChat(req, this.target);
    const model = requireModel(this.ctx.model, req.model);
    try {
      return { model, converse: converseFromOpenAI(chat, model).body };
    } catch (e) {
      throw responsesError(e, origins);
    }
  }

  protected answer(n: number): unknown {
    return inputTokensAnswer(n);
  }
}

/**
 * Gemini's models/{model}:countTokens -> `{"totalTokens": N}`. The body holds `contents`, or a
 * whole generateContentRequest (Google then ignores the top-level contents); either is
 * translated as generateContent on Bedrock is (gemini-chat.ts), JSON output's forced tool included.
 */
export class BedrockGeminiTokenCount extends CountTokensCall {
  constructor(ctx: TranslationContext) {
    super(ctx, 'gemini', [...REMOVE_REQUEST_HEADERS, 'x-goog-api-client']);
  }

  protected converse(body: unknown): { model: string; converse: ConverseRequest } {
    const b = body as Record<string, unknown>;
    const wrapped = b.generateContentRequest;
    const generate = wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? wrapped : { contents: b.contents };
    const built = new BedrockGeminiChat(this.ctx).request(generate);
    return { model: built.model!, converse: JSON.parse(built.body!.toString('utf8')) as ConverseRequest };
  }

  protected answer(n: number): unknown {
    return { totalTokens: n };
  }
}

/**
 * A client's token count on Bedrock, by CountTokens or the gateway's estimate: which one depends
 * on the model, and Anthropic and OpenAI clients name theirs in the body, so the choice is made
 * once the body is read.
 */
export class BedrockTokenCount extends DelegatingTranslator {
  constructor(
    private readonly ctx: TranslationContext,
    private readonly target: ResponsesTarget,
  ) {
    super();
  }

  request(body: unknown, raw: Buffer | undefined): UpstreamRequest {
    this.inner = this.choose(body);
    return this.inner.request(body, raw);
  }

  private choose(body: unknown): Translator {
    const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const { ctx } = this;
    if (ctx.dialect === 'gemini') {
      return countsOnBedrock(ctx.model ?? matchGeminiPath(ctx.path)?.pathModel) ? new BedrockGeminiTokenCount(ctx) : new EstimatedGeminiTokenCount(ctx);
    }
    const model = ctx.model ?? (typeof b.model === 'string' ? b.model : undefined);
    if (ctx.dialect === 'anthropic') return countsOnBedrock(model) ? new BedrockAnthropicTokenCount(ctx) : new EstimatedAnthropicTokenCount(ctx);
    return countsOnBedrock(model) ? new BedrockResponsesTokenCount(ctx, this.target) : new EstimatedResponsesTokenCount(ctx);
  }
}
