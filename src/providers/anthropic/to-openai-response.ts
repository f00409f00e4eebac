// The response half of every "OpenAI client, Claude model" translator: upstream
// status, headers and body chunks in Anthropic's Messages format -> what an
// OpenAI client expects (a chat.completion, a chunk stream, or an OpenAI error).
// Anthropic's own API and Vertex AI's rawPredict answer alike, so both use this.
import { AnthropicAnswer } from './answer.js';
import { toOpenAICompletion, toOpenAIError } from './openai-response.js';
import { AnthropicToOpenAIStream } from './openai-stream.js';

export interface ResponseOptions {
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Write thinking as reasoning_content (for the Responses adapter only; see openai-response.ts). */
  reasoning?: boolean;
}

export class AnthropicToOpenAIResponse extends AnthropicAnswer {
  constructor(opts: ResponseOptions) {
    const reasoning = opts.reasoning === true;
    super({
      plain: (msg, created) => JSON.stringify(toOpenAICompletion(msg, created, reasoning)),
      stream: (created) => new AnthropicToOpenAIStream({ includeUsage: opts.includeUsage, created, reasoning }),
      error: toOpenAIError,
    });
  }
}
