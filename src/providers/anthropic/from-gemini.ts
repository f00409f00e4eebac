// Gemini dialect in (generateContent, streamGenerateContent), Anthropic Messages out:
// @google/genai clients reaching Claude. Request: from-gemini-request.ts; a message
// becomes a GenerateContentResponse (gemini-parts.ts), an event stream Gemini SSE
// (from-gemini-stream.ts), an Anthropic error Google's error shape.
import { googleErrorBody, matchGeminiPath } from '../../dialects/gemini/index.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { Message } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import { sseEvent } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector, parseUpstreamJson, requireIdentityEncoding, upstreamErrorMessage } from '../shared/body.js';
import type { ResponseHeadersResult, TranslationContext, Translator, UpstreamRequest } from '../types.js';
import { AnthropicEventReader } from './events.js';
import { geminiToMessages } from './from-gemini-request.js';
import { AnthropicToGeminiStream } from './from-gemini-stream.js';
import { type ClaudeBlock, generateContentResponse, geminiFinish, geminiParts, geminiUsage } from './gemini-parts.js';
import { anthropicHeaders } from './headers.js';
import { AnthropicUsageTracker } from './usage.js';

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

export class GeminiToAnthropic implements Translator {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private status = 200;
  /** The client asked for streamGenerateContent. */
  private streamed = false;
  private includeThoughts = false;
  private readonly body = new BodyCollector();
  private readonly reader = new AnthropicEventReader();
  private stream: AnthropicToGeminiStream | undefined;
  private readonly plainUsage = new AnthropicUsageTracker();

  constructor(private readonly ctx: TranslationContext) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined) throw new GatewayError('invalid_json', 'a generateContent request needs a JSON body');
    const found = matchGeminiPath(this.ctx.path);
    this.streamed = found?.pathStream === true;
    const model = this.ctx.model ?? (found?.pathModel || undefined);
    if (!model) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    const out = geminiToMessages(body as GenerateContentRequest, { model, stream: this.streamed, urls: true, jsonOutput: 'schema', noneWithToolHistory: true });
    this.includeThoughts = out.includeThoughts;
    return { path: '/v1/messages', body: Buffer.from(JSON.stringify(out.body)), model, stream: this.streamed, ...anthropicHeaders(this.ctx, GOOGLE_HEADERS) };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.status = status;
    const ok = status >= 200 && status < 300;
    if (ok) requireIdentityEncoding(headers);
    if (!ok) this.mode = 'error';
    else if ((headers.get('content-type') ?? '').includes('text/event-stream')) {
      this.mode = 'stream';
      this.stream = new AnthropicToGeminiStream(this.includeThoughts);
    }
    // A stream answered with one JSON document still reaches the client as the stream it asked for.
    const sse = this.mode === 'stream' || (this.mode === 'plain' && this.streamed);
    return { rewritesBody: true, setHeaders: { 'content-type': sse ? 'text/event-stream' : 'application/json' }, removeHeaders: ['content-encoding'] };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer {
    if (this.stream) {
      let out = '';
      for (const { event } of this.reader.push(chunk, end)) out += this.stream.event(event);
      if (end) out += this.stream.end();
      return Buffer.from(out);
    }
    const whole = this.body.push(chunk, end);
    if (!whole) return Buffer.alloc(0);
    if (this.mode === 'error') return Buffer.from(JSON.stringify(googleErrorBody(this.status, upstreamErrorMessage(this.status, whole))));
    const msg = parseUpstreamJson<Message>(whole);
    this.plainUsage.observeMessage(msg);
    const json = JSON.stringify(messageToGemini(msg, this.includeThoughts));
    return Buffer.from(this.streamed ? sseEvent(json) : json);
  }

  usage(): Usage {
    return this.stream ? this.stream.usage() : this.plainUsage.usage();
  }

  responseModel(): string | undefined {
    return this.stream ? this.stream.responseModel : this.plainUsage.model;
  }

  progress(): ResponseProgress {
    return this.stream ? this.stream.progress : this.plainUsage.progress;
  }
}
