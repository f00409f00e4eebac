// An OpenAI Responses API create request -> an Anthropic Messages request body.
// The Responses conversation is restated as the Chat Completions request it means
// (../shared/responses-request.ts, shared with every provider answering Responses
// clients) and handed to the chat path (openai-request.ts, openai-messages.ts), so
// both dialects reach Claude through one mapping: the same message merging, image and
// file blocks, tool_choice, structured output and max_tokens default. Image URLs Claude
// cannot fetch are refused during the restatement, under the Responses field.
//
// Reasoning: `reasoning.effort` is the chat path's `reasoning_effort` (a thinking
// budget, reasoning-effort.ts: under max_output_tokens, off in a tool loop, where
// Claude would want its signed thinking back). `reasoning` input items from earlier
// turns are dropped: they hold OpenAI's (encrypted) reasoning, which Claude cannot
// read, or Claude's own thinking as a summary, which it does not take back as such
// (and, with thinking off in tool loops, never insists on).
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { ResponsesRequest } from '../../dialects/openai/responses-types.js';
import { responsesError, responsesToChat, type ResponsesTarget } from '../shared/responses-request.js';
import { imageBlock } from './openai-messages.js';
import { toAnthropicRequest, type ToAnthropicOptions } from './openai-request.js';

export interface ResponsesRequestResult {
  body: MessagesRequest;
  stream: boolean;
}

/** How Responses refusals name Claude (also Claude on Vertex, through the chat adapter). */
export const ANTHROPIC_RESPONSES: ResponsesTarget = {
  name: 'Anthropic',
  model: 'an Anthropic model',
  api: "Anthropic's Messages API",
  checkImage: (url, at) => void imageBlock(url, at), // refuses what Claude cannot fetch, under this path
};

export function responsesToAnthropic(req: ResponsesRequest, opts: ToAnthropicOptions = {}): ResponsesRequestResult {
  const { chat, origins } = responsesToChat(req, ANTHROPIC_RESPONSES);
  let body: MessagesRequest;
  try {
    body = toAnthropicRequest(chat, opts);
  } catch (e) {
    // The chat path names its own fields; the client sent Responses ones.
    throw responsesError(e, origins);
  }
  return { body, stream: body.stream === true };
}
