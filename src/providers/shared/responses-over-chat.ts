// OpenAI Responses API clients served through a provider's OpenAI-Chat translator
// (Gemini, Vertex AI, Bedrock): the Responses request is restated as Chat Completions
// (responses-request.ts) and handed to the wrapped translator's request(); what it
// makes of the provider's answer, a chat.completion or chat.completion.chunk SSE, is
// restated as a Responses `response` object or event stream (responses-from-chat.ts).
// Its errors are already OpenAI's shape and pass as they are. Usage, progress and the
// answering model are the wrapped translator's: it reads the provider's own counts.
// The wrapped translator knows it serves this adapter from its context (operation
// `responses`): only then does it write the provider's reasoning (`reasoning_content`),
// which becomes reasoning items here; what Chat Completions cannot say at all (the client
// asked for reasoning summaries) reaches it beside the chat request (responsesAsks).
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import type { ChatCompletion } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ResponseProgress } from '../../usage/progress.js';
import { SseParser } from '../../usage/sse.js';
import type { Usage } from '../../usage/types.js';
import type { ResponseHeadersResult, Translator, UpstreamRequest } from '../types.js';
import { BodyCollector, parseUpstreamJson } from './body.js';
import { type ChatReadOptions, ChatToResponsesStream, responseFromCompletion } from './responses-from-chat.js';
import { type RequestEcho, requestEcho } from './responses-objects.js';
import { includes, responsesError, responsesToChat, type ResponsesTarget } from './responses-request.js';

export class ResponsesOverChat implements Translator {
  private mode: 'plain' | 'stream' | 'error' = 'plain';
  private echo: RequestEcho = requestEcho({});
  private read: ChatReadOptions = { encryptedReasoning: false };
  private readonly body = new BodyCollector();
  private readonly sse = new SseParser();
  private stream: ChatToResponsesStream | undefined;

  constructor(
    private readonly inner: Translator,
    private readonly target: ResponsesTarget,
  ) {}

  request(body: unknown): UpstreamRequest {
    if (body === undefined || body === null || typeof body !== 'object') throw new GatewayError('invalid_json', 'a Responses API request needs a JSON body');
    const req = body as ResponsesRequest;
    const { chat, origins } = responsesToChat(req, this.target);
    // The response.completed event carries usage: the chat stream must send its usage chunk.
    if (chat.stream) chat.stream_options = { include_usage: true };
    this.echo = requestEcho(req);
    this.read = { encryptedReasoning: includes(req, 'reasoning.encrypted_content') };
    let up: UpstreamRequest;
    try {
      up = this.inner.request(chat, undefined);
    } catch (e) {
      throw responsesError(e, origins);
    }
    // A chat translator that forwards "the client's body" would send the Responses one.
    return up.body ? up : { ...up, body: Buffer.from(JSON.stringify(chat)) };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const r = this.inner.responseHeaders(status, headers);
    if (status < 200 || status >= 300) this.mode = 'error';
    else if ((r.setHeaders?.['content-type'] ?? headers.get('content-type') ?? '').includes('text/event-stream')) {
      this.mode = 'stream';
      this.stream = new ChatToResponsesStream(this.echo, this.read);
    } else this.mode = 'plain';
    if (this.mode === 'error') return r;
    return { ...r, rewritesBody: true, setHeaders: { ...r.setHeaders, 'content-type': this.mode === 'stream' ? 'text/event-stream; charset=utf-8' : 'application/json' } };
  }

  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined {
    const out = this.inner.responseChunk(chunk, end) ?? chunk;
    if (this.mode === 'error') return out;
    if (this.stream) {
      let text = '';
      for (const ev of this.sse.push(out, end)) if (ev.data !== undefined) text += this.stream.data(ev.data);
      if (end) text += this.stream.end();
      return Buffer.from(text);
    }
    const whole = this.body.push(out, end);
    if (!whole) return Buffer.alloc(0);
    const completion = parseUpstreamJson<ChatCompletion>(whole);
    return Buffer.from(JSON.stringify(responseFromCompletion(completion, this.echo, this.read)));
  }

  usage(): Usage {
    return this.inner.usage();
  }

  responseModel(): string | undefined {
    return this.inner.responseModel();
  }

  progress(): ResponseProgress {
    return this.inner.progress();
  }
}
