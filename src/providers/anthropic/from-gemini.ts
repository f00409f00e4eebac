// Gemini dialect in (generateContent, streamGenerateContent), Anthropic Messages out:
// @google/genai clients reaching Claude. Request: from-gemini-request.ts; a message
// becomes a GenerateContentResponse (gemini-parts.ts), an event stream Gemini SSE
// (from-gemini-stream.ts), an Anthropic error Google's error shape.
import { googleErrorBody, matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { Message } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import { sseEvent } from '../../usage/sse.js';
import { upstreamErrorMessage } from '../shared/body.js';
import type { TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { AnthropicAnswer } from './answer.js';
import { geminiToMessages } from './from-gemini-request.js';
import { AnthropicToGeminiStream } from './from-gemini-stream.js';
import { type ClaudeBlock, generateContentResponse, geminiFinish, geminiParts, geminiUsage } from './gemini-parts.js';
import { anthropicHeaders } from './headers.js';

// Google SDK telemetry means nothing to Anthropic.
const GOOGLE_HEADERS = ['x-goog-api-client'];

/** A whole Anthropic message -> Gemini's GenerateContentResponse. */
export function messageToGemini(msg: Message, includeThoughts: boolean): unknown {
  if (!msg || !Array.isArray(msg.content)) throw new GatewayError('upstream_response_invalid', 'the provider answered with a message without content');
  const blocks: ClaudeBlock[] = [];
  for (const raw of msg.content) {
    const b = raw as { type?: string; text?: unknown; thinking?: unknown; signature?: unknown; data?: unknown; id?: unknown; name?: unknown; input?: unknown };
    if (b.type === 'text' && typeof b.text === 'string') blocks.push({ text: b.text });
    else if (b.type === 'thinking') blocks.push({ thinking: { type: 'thinking', thinking: String(b.thinking ?? ''), signature: String(b.signature ?? '') } });
    else if (b.type === 'redacted_thinking') blocks.push({ thinking: { type: 'redacted_thinking', data: String(b.data ?? '') } });
    else if (b.type === 'tool_use') blocks.push({ call: { id: String(b.id ?? ''), name: String(b.name ?? ''), args: b.input ?? {} } });
  }
  const u = msg.usage ?? {};
  const usage = geminiUsage({ input: u.input_tokens, output: u.output_tokens, cacheRead: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens });
  return generateContentResponse(geminiParts(blocks, includeThoughts), geminiFinish(msg.stop_reason), usage, { model: msg.model, id: msg.id });
}

export class GeminiToAnthropic extends AnthropicAnswer implements Translator {
  /** What request() learns: the client asked for streamGenerateContent, and for thoughts. */
  private readonly asked: { streamed: boolean; includeThoughts: boolean };

  constructor(private readonly ctx: TranslationContext) {
    const asked = { streamed: false, includeThoughts: false };
    super({
      plain: (msg) => {
        const json = JSON.stringify(messageToGemini(msg, asked.includeThoughts));
        // A stream answered with one JSON document still reaches the client as the stream it asked for.
        return asked.streamed ? sseEvent(json) : json;
      },
      stream: () => new AnthropicToGeminiStream(asked.includeThoughts),
      error: (status, body) => Buffer.from(JSON.stringify(googleErrorBody(status, upstreamErrorMessage(status, body)))),
      streamType: 'text/event-stream',
      plainType: () => (asked.streamed ? 'text/event-stream' : 'application/json'),
    });
    this.asked = asked;
  }

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a generateContent request needs a JSON body');
    const found = matchGeminiPath(this.ctx.path);
    this.asked.streamed = found?.pathStream === true;
    const model = this.ctx.model ?? (found?.pathModel || undefined);
    if (!model) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    const out = geminiToMessages(body as GenerateContentRequest, { model, stream: this.asked.streamed, urls: true, jsonOutput: 'schema', noneWithToolHistory: true });
    this.asked.includeThoughts = out.includeThoughts;
    return { path: '/v1/messages', body: Buffer.from(JSON.stringify(out.body)), model, stream: this.asked.streamed, ...anthropicHeaders(this.ctx, GOOGLE_HEADERS) };
  }
}
