// OpenAI's POST /v1/responses/input_tokens on Anthropic: the Responses conversation is
// translated as for POST /v1/responses (from-responses-request.ts, the same refusals under
// the Responses field names) and counted by Anthropic's /v1/messages/count_tokens, which
// takes only what the model reads: model, system, messages, tools, tool_choice (generation
// settings such as max_tokens are refused there, and change no count).
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { GatewayError } from '../../errors.js';
import { UpstreamInputTokenCount } from '../shared/responses-input-tokens.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { responsesToAnthropic } from './from-responses-request.js';
import { anthropicHeaders } from './headers.js';
import { toOpenAIError } from './openai-response.js';

type CountTokensBody = Pick<MessagesRequest, 'model' | 'messages' | 'system' | 'tools' | 'tool_choice'>;

const OPENAI_HEADERS = ['openai-organization', 'openai-project', 'openai-beta'];

export class ResponsesInputTokensToAnthropic extends UpstreamInputTokenCount {
  constructor(private readonly ctx: TranslationContext) {
    super();
  }

  request(body: unknown): UpstreamRequest {
    if (!body || typeof body !== 'object') throw new GatewayError('invalid_json', 'an input_tokens request needs a JSON body');
    const { body: messages } = responsesToAnthropic(body as ResponsesRequest, { model: this.ctx.model });
    const out: CountTokensBody = { model: messages.model, messages: messages.messages };
    if (messages.system !== undefined) out.system = messages.system;
    if (messages.tools !== undefined) out.tools = messages.tools;
    if (messages.tool_choice !== undefined) out.tool_choice = messages.tool_choice;
    return { path: '/v1/messages/count_tokens', body: Buffer.from(JSON.stringify(out)), model: messages.model, stream: false, ...anthropicHeaders(this.ctx, OPENAI_HEADERS) };
  }

  protected count(json: unknown): number | undefined {
    const n = (json as { input_tokens?: unknown } | null)?.input_tokens;
    return typeof n === 'number' ? n : undefined;
  }

  protected error(status: number, body: Buffer): Buffer {
    return toOpenAIError(status, body);
  }
}
