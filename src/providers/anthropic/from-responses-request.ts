// An OpenAI Responses API create request -> an Anthropic Messages request body.
// The Responses conversation (input items, instructions, flat function tools) is
// restated as the Chat Completions request it means and handed to the chat path
// (openai-request.ts, openai-messages.ts), so both dialects reach Claude through
// one mapping: the same message merging, image and file blocks, tool_choice,
// structured output and max_tokens default. What only Responses has is checked
// here first, so a refusal names the Responses field (`input[2].content[0]`), not
// the chat message it became.
//
// The gateway keeps no state: nothing a request names by id (previous_response_id,
// conversation, a stored prompt) can be looked up, `store: true` cannot be honoured
// and `background` has nowhere to run; all are refused. An absent `store` (OpenAI's
// default is true) is accepted: nothing is stored, and the answer says `store: false`.
//
// Reasoning: `reasoning.effort` is the chat path's `reasoning_effort` (a thinking
// budget, reasoning-effort.ts: under max_output_tokens, off in a tool loop, where
// Claude would want its signed thinking back). `reasoning` input items from earlier
// turns are dropped: they hold OpenAI's (encrypted) reasoning, which Claude cannot
// read, or Claude's own thinking as a summary, which it does not take back as such
// (and, with thinking off in tool loops, never insists on).
import type { MessagesRequest } from '../../dialects/anthropic/types.js';
import type { ResponseInputContent, ResponseInputItem, ResponsesRequest } from '../../dialects/openai/responses-types.js';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolChoice } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { imageBlock } from './openai-messages.js';
import { toAnthropicRequest, type ToAnthropicOptions } from './openai-request.js';

// Fields mapped below, plus bookkeeping that generates nothing differently.
const HANDLED = new Set([
  'model', 'input', 'instructions', 'stream', 'stream_options', 'store', 'max_output_tokens', 'temperature', 'top_p',
  'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'reasoning', 'metadata', 'user', 'safety_identifier',
  'service_tier', 'prompt_cache_key', 'truncation', 'include', 'top_logprobs', 'max_tool_calls',
]);

/** State the gateway does not keep, or work it cannot run: named in the refusal. */
const STATEFUL: Record<string, string> = {
  previous_response_id: 'the gateway keeps no responses to continue from; send the whole conversation in input',
  conversation: 'the gateway keeps no conversations; send the whole conversation in input',
  prompt: 'the gateway keeps no stored prompts; send instructions and input',
  background: 'the gateway runs no background responses; stream instead',
};

export interface ResponsesRequestResult {
  body: MessagesRequest;
  stream: boolean;
}

export function responsesToAnthropic(req: ResponsesRequest, opts: ToAnthropicOptions = {}): ResponsesRequestResult {
  for (const [key, why] of Object.entries(STATEFUL)) {
    const v = req[key];
    if (v !== undefined && v !== null && v !== false) unsupported(key, why);
  }
  if (req.store === true) unsupported('store', 'the gateway stores no responses; leave store out or set it to false');
  for (const key of Object.keys(req)) {
    if (!HANDLED.has(key) && req[key] !== undefined && req[key] !== null) unsupported(key, "has no equivalent in Anthropic's Messages API");
  }
  if (req.truncation !== undefined && req.truncation !== null && req.truncation !== 'disabled') unsupported('truncation', 'Anthropic models do not drop turns from a long conversation; only "disabled"');
  if (typeof req.top_logprobs === 'number' && req.top_logprobs > 0) unsupported('top_logprobs', 'Anthropic models do not return log probabilities');
  if (req.max_tool_calls !== undefined && req.max_tool_calls !== null) unsupported('max_tool_calls', 'Anthropic has no limit on tool calls per response');

  const chat: ChatCompletionRequest = { messages: [] };
  if (req.model !== undefined) chat.model = req.model;
  if (typeof req.instructions === 'string' && req.instructions !== '') chat.messages.push({ role: 'system', content: req.instructions });
  chat.messages.push(...inputMessages(req.input));
  if (typeof req.max_output_tokens === 'number') chat.max_completion_tokens = req.max_output_tokens;
  if (typeof req.temperature === 'number') chat.temperature = req.temperature;
  if (typeof req.top_p === 'number') chat.top_p = req.top_p;
  if (req.stream === true) chat.stream = true;
  if (Array.isArray(req.tools) && req.tools.length > 0) {
    chat.tools = req.tools.map((t, i) => chatTool(t, `tools[${i}]`));
    if (req.tool_choice !== undefined && req.tool_choice !== null) chat.tool_choice = chatToolChoice(req.tool_choice);
    if (typeof req.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = req.text?.format;
  if (format && format.type === 'json_schema') {
    const schema = format.schema as Record<string, unknown> | undefined;
    chat.response_format = { type: 'json_schema', json_schema: { name: String(format.name ?? 'response'), ...(schema ? { schema } : {}) } };
  } else if (format && format.type !== 'text') {
    unsupported('text.format.type', `text format "${format.type}" has no Anthropic equivalent; use json_schema with a schema`);
  }
  if (req.text?.verbosity !== undefined && req.text.verbosity !== null) unsupported('text.verbosity', 'Anthropic models take no verbosity setting');
  for (const key of ['user', 'safety_identifier', 'service_tier', 'metadata', 'prompt_cache_key'] as const) {
    if (req[key] !== undefined && req[key] !== null) (chat as Record<string, unknown>)[key] = req[key];
  }
  if (req.reasoning?.effort !== undefined && req.reasoning.effort !== null) chat.reasoning_effort = req.reasoning.effort;
  let body: MessagesRequest;
  try {
    body = toAnthropicRequest(chat, opts);
  } catch (e) {
    // The chat path names its own field; the client sent reasoning.effort.
    if (e instanceof GatewayError && e.param === 'reasoning_effort') throw new GatewayError(e.code, e.message.replace('reasoning_effort', 'reasoning.effort'), 'reasoning.effort');
    throw e;
  }
  return { body, stream: body.stream === true };
}

function unsupported(field: string, why: string): never {
  throw new GatewayError('unsupported_field', `${field}: ${why}`, field);
}

/** Input items -> chat messages; tool calls and results keep their call_id, which must pair up. */
function inputMessages(input: ResponsesRequest['input']): ChatMessage[] {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const out: ChatMessage[] = [];
  const calls = new Set<string>();
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    const item = raw as ResponseInputItem & { type?: string; role?: string };
    const type = item.type ?? 'message';
    if (type === 'message') {
      out.push(message(item as Extract<ResponseInputItem, { role: string }>, at));
    } else if (type === 'function_call') {
      const c = item as Extract<ResponseInputItem, { type: 'function_call' }>;
      checkArguments(c.arguments, `${at}.arguments`);
      calls.add(c.call_id);
      out.push({ role: 'assistant', content: null, tool_calls: [{ id: c.call_id, type: 'function', function: { name: c.name, arguments: c.arguments } }] });
    } else if (type === 'function_call_output') {
      const r = item as Extract<ResponseInputItem, { type: 'function_call_output' }>;
      if (!calls.has(r.call_id)) {
        throw new GatewayError('invalid_request', `${at}.call_id: no function_call item before it has call_id "${r.call_id}"`, `${at}.call_id`);
      }
      const content = typeof r.output === 'string' ? r.output : r.output.map((p, j) => part(p, `${at}.output[${j}]`));
      out.push({ role: 'tool', tool_call_id: r.call_id, content });
    } else if (type === 'reasoning') {
      // OpenAI's own reasoning from an earlier turn: nothing Claude can read (see the header).
    } else {
      unsupported(`${at}.type`, `input items of type "${type}" cannot be sent to an Anthropic model`);
    }
  });
  return out;
}

function message(m: { role: string; content: string | ResponseInputContent[] }, at: string): ChatMessage {
  const role = m.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    unsupported(`${at}.role`, `messages with role "${role}" cannot be sent to an Anthropic model`);
  }
  if (typeof m.content === 'string') return { role, content: m.content };
  return { role, content: m.content.map((p, j) => part(p, `${at}.content[${j}]`)) };
}

function part(p: ResponseInputContent, at: string): ChatContentPart {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: p.text };
    case 'refusal':
      return { type: 'refusal', refusal: p.refusal };
    case 'input_image': {
      if (typeof p.image_url !== 'string') unsupported(`${at}.file_id`, 'images uploaded to OpenAI (file_id) cannot be read by an Anthropic model; send image_url');
      imageBlock(p.image_url, `${at}.image_url`); // refuses what Claude cannot fetch, under this path
      return { type: 'image_url', image_url: { url: p.image_url } };
    }
    case 'input_file': {
      if (typeof p.file_data !== 'string') unsupported(`${at}.file_id`, 'files uploaded to OpenAI (file_id) cannot be read by an Anthropic model; send file_data');
      return { type: 'file', file: { file_data: p.file_data, ...(p.filename ? { filename: p.filename } : {}) } };
    }
    default:
      return unsupported(`${at}.type`, `content parts of type "${(p as { type: string }).type}" cannot be sent to an Anthropic model`);
  }
}

function checkArguments(args: string, at: string): void {
  if (args.trim() === '') return;
  try {
    JSON.parse(args);
  } catch {
    throw new GatewayError('invalid_json', `${at}: function call arguments must be a JSON document (Anthropic takes them as an object)`, at);
  }
}

function chatTool(t: NonNullable<ResponsesRequest['tools']>[number], at: string): ChatTool {
  if (t.type !== 'function') unsupported(`${at}.type`, `tools of type "${t.type}" cannot be sent to an Anthropic model; only function tools`);
  const f = t as Extract<NonNullable<ResponsesRequest['tools']>[number], { type: 'function'; name: string }>;
  const fn: ChatTool['function'] = { name: f.name };
  if (typeof f.description === 'string') fn.description = f.description;
  if (f.parameters) fn.parameters = f.parameters;
  if (f.strict === true) fn.strict = true;
  return { type: 'function', function: fn };
}

function chatToolChoice(c: NonNullable<ResponsesRequest['tool_choice']>): ChatToolChoice {
  if (typeof c === 'string') {
    if (c === 'auto' || c === 'none' || c === 'required') return c;
    return unsupported('tool_choice', `tool_choice "${c}" has no Anthropic equivalent (auto, none, required or one function)`);
  }
  if (c.type === 'function' && typeof c.name === 'string') return { type: 'function', function: { name: c.name } };
  return unsupported('tool_choice', `tool_choice of type "${c.type}" has no Anthropic equivalent (auto, none, required or one function)`);
}
