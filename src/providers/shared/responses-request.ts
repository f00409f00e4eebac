// An OpenAI Responses API create request, restated as the Chat Completions request it
// means, so a provider's chat path serves both dialects through one mapping: input
// items become messages (instructions the system message, function_call items assistant
// tool calls, function_call_output items tool messages, call_ids paired), flat function
// tools chat tools, text.format response_format, reasoning.effort reasoning_effort.
// What only Responses has is checked here first, so a refusal names the Responses field
// (`input[2].content[0]`); a refusal from the chat path afterwards is renamed the same
// way (responsesError), through the origin of every chat message.
//
// The gateway keeps no state: nothing a request names by id (previous_response_id,
// conversation, a stored prompt) can be looked up, `store: true` cannot be honoured
// and `background` has nowhere to run; all are refused. An absent `store` (OpenAI's
// default is true) is accepted: nothing is stored, and the answer says `store: false`.
// `reasoning` input items from earlier turns are dropped: they hold OpenAI's (encrypted)
// reasoning or another model's summary, which no provider takes back as its own. The one
// exception is a thought signature the gateway itself handed out as encrypted_content
// (responses-objects.ts): it goes back on the next function_call's chat tool call as
// extra_content.google.thought_signature, where the Gemini chat translation reads it; the
// other chat translations ignore extra_content.
//
// `include`: reasoning.encrypted_content is honoured (thought signatures, see above);
// message.output_text.logprobs is refused as top_logprobs is; the others name output of
// built-in tools, which are refused, or input the answer does not repeat: nothing to add.
import type { ResponseInputContent, ResponseInputItem, ResponsesRequest } from '../../dialects/openai/responses-types.js';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolCall, ChatToolChoice } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { signatureFromEncrypted } from './responses-objects.js';

/** A chat tool call with a thought signature where Google's OpenAI-compatible API puts it. */
type SignedToolCall = ChatToolCall & { extra_content?: { google: { thought_signature: string } } };

/** Who a refusal names, and what the provider cannot take that the chat path would let through. */
export interface ResponsesTarget {
  /** 'Anthropic', 'Gemini', 'Bedrock'. */
  name: string;
  /** 'an Anthropic model'. */
  model: string;
  /** "Anthropic's Messages API". */
  api: string;
  /** text.format json_object has a counterpart there. */
  jsonObject?: boolean;
  /** Refuses an image URL the provider cannot read, naming `at` (the Responses path). */
  checkImage?(url: string, at: string): void;
}

/** Where a chat message came from: `text` (instructions, a string input), an input message, call or call output. */
export interface Origin {
  path: string;
  kind: 'text' | 'message' | 'call' | 'output';
}

export interface ChatRestatement {
  chat: ChatCompletionRequest;
  origins: Origin[];
}

/**
 * What a Responses request asks that a Chat Completions request has no field for, kept
 * beside the restated chat request under a symbol: never serialized, never seen by a chat
 * path's field checks. A wrapped translator serving the Responses adapter may honour it.
 */
export interface ResponsesAsks {
  /** reasoning.summary is set: the client wants the model's reasoning text. */
  reasoningSummary: boolean;
}

const ASKS = Symbol('responses asks');

/** What the Responses request behind this chat request asked (undefined for a client's own chat request). */
export function responsesAsks(chat: ChatCompletionRequest): ResponsesAsks | undefined {
  return (chat as { [ASKS]?: ResponsesAsks })[ASKS];
}

/** The request's `include` names this value. */
export function includes(req: ResponsesRequest, value: string): boolean {
  return Array.isArray(req.include) && req.include.includes(value);
}

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

export function responsesToChat(req: ResponsesRequest, target: ResponsesTarget): ChatRestatement {
  for (const [key, why] of Object.entries(STATEFUL)) {
    const v = req[key];
    if (v !== undefined && v !== null && v !== false) unsupported(key, why);
  }
  if (req.store === true) unsupported('store', 'the gateway stores no responses; leave store out or set it to false');
  for (const key of Object.keys(req)) {
    if (!HANDLED.has(key) && req[key] !== undefined && req[key] !== null) unsupported(key, `has no equivalent in ${target.api}`);
  }
  if (req.truncation !== undefined && req.truncation !== null && req.truncation !== 'disabled') unsupported('truncation', `${target.name} models do not drop turns from a long conversation; only "disabled"`);
  if (typeof req.top_logprobs === 'number' && req.top_logprobs > 0) unsupported('top_logprobs', `${target.name} models do not return log probabilities`);
  if (req.max_tool_calls !== undefined && req.max_tool_calls !== null) unsupported('max_tool_calls', `${target.name} has no limit on tool calls per response`);
  if (includes(req, 'message.output_text.logprobs')) unsupported('include', `${target.name} models do not return log probabilities (message.output_text.logprobs)`);

  const chat: ChatCompletionRequest = { messages: [] };
  const origins: Origin[] = [];
  if (req.model !== undefined) chat.model = req.model;
  if (typeof req.instructions === 'string' && req.instructions !== '') {
    chat.messages.push({ role: 'system', content: req.instructions });
    origins.push({ path: 'instructions', kind: 'text' });
  }
  inputMessages(req.input, target, chat.messages, origins);
  if (typeof req.max_output_tokens === 'number') chat.max_completion_tokens = req.max_output_tokens;
  if (typeof req.temperature === 'number') chat.temperature = req.temperature;
  if (typeof req.top_p === 'number') chat.top_p = req.top_p;
  if (req.stream === true) chat.stream = true;
  if (Array.isArray(req.tools) && req.tools.length > 0) {
    chat.tools = req.tools.map((t, i) => chatTool(t, `tools[${i}]`, target));
    if (req.tool_choice !== undefined && req.tool_choice !== null) chat.tool_choice = chatToolChoice(req.tool_choice, target);
    if (typeof req.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = req.parallel_tool_calls;
  }
  const format = req.text?.format;
  if (format && format.type === 'json_schema') {
    const schema = format.schema as Record<string, unknown> | undefined;
    chat.response_format = { type: 'json_schema', json_schema: { name: String(format.name ?? 'response'), ...(schema ? { schema } : {}) } };
  } else if (format && format.type === 'json_object' && target.jsonObject) {
    chat.response_format = { type: 'json_object' };
  } else if (format && format.type !== 'text') {
    unsupported('text.format.type', `text format "${format.type}" has no ${target.name} equivalent; use json_schema with a schema`);
  }
  if (req.text?.verbosity !== undefined && req.text.verbosity !== null) unsupported('text.verbosity', `${target.name} models take no verbosity setting`);
  for (const key of ['user', 'safety_identifier', 'service_tier', 'metadata', 'prompt_cache_key'] as const) {
    if (req[key] !== undefined && req[key] !== null) (chat as Record<string, unknown>)[key] = req[key];
  }
  if (req.reasoning?.effort !== undefined && req.reasoning.effort !== null) chat.reasoning_effort = req.reasoning.effort;
  const asks: ResponsesAsks = { reasoningSummary: typeof req.reasoning?.summary === 'string' };
  Object.defineProperty(chat, ASKS, { value: asks, enumerable: false });
  return { chat, origins };
}

/**
 * A refusal from the chat path, renamed to the Responses fields the client sent
 * (`messages[2].content[0]` -> `input[1].content[0]`, `reasoning_effort` -> `reasoning.effort`).
 */
export function responsesError(e: unknown, origins: Origin[]): unknown {
  if (!(e instanceof GatewayError)) return e;
  const rename = (s: string) => s.replace(CHAT_PATH, (p) => responsesPath(p, origins));
  const message = rename(e.message);
  const param = e.param === undefined ? undefined : rename(e.param);
  if (message === e.message && param === e.param) return e;
  return new GatewayError(e.code, message, param);
}

const CHAT_PATH = /\b(?:messages(?:\[\d+\](?:\.[A-Za-z_]+|\[\d+\])*)?|reasoning_effort|max_completion_tokens|response_format(?:\.[A-Za-z_]+)*|tools\[\d+\](?:\.[A-Za-z_]+|\[\d+\])*)/g;

function responsesPath(p: string, origins: Origin[]): string {
  if (p === 'reasoning_effort') return 'reasoning.effort';
  if (p === 'max_completion_tokens') return 'max_output_tokens';
  if (p.startsWith('response_format')) return 'text.format' + p.slice('response_format'.length).replace(/^\.json_schema/, '');
  if (p.startsWith('tools[')) return p.replace(/^(tools\[\d+\])\.function/, '$1');
  const m = /^messages\[(\d+)\](.*)$/.exec(p);
  const o = m ? origins[Number(m[1])] : undefined;
  if (!m || !o) return 'input';
  const rest = m[2]!;
  switch (o.kind) {
    case 'text':
      return o.path;
    case 'message':
      return o.path + rest;
    case 'output':
      return o.path + rest.replace(/^\.content/, '.output').replace(/^\.tool_call_id/, '.call_id');
    case 'call': {
      const f = /^\.tool_calls\[0\]\.(?:function\.)?(\w+)/.exec(rest);
      return o.path + (f ? `.${f[1] === 'id' ? 'call_id' : f[1]}` : '');
    }
  }
}

function unsupported(field: string, why: string): never {
  throw new GatewayError('unsupported_field', `${field}: ${why}`, field);
}

/** Input items -> chat messages; tool calls and results keep their call_id, which must pair up. */
function inputMessages(input: ResponsesRequest['input'], target: ResponsesTarget, out: ChatMessage[], origins: Origin[]): void {
  if (input === undefined || input === null) return;
  if (typeof input === 'string') {
    out.push({ role: 'user', content: input });
    origins.push({ path: 'input', kind: 'text' });
    return;
  }
  const calls = new Set<string>();
  // A thought signature from a reasoning item, waiting for the function_call it belongs to.
  let signature: string | undefined;
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    const item = raw as ResponseInputItem & { type?: string; role?: string };
    const type = item.type ?? 'message';
    // The signature belongs to a call of the same model turn: a user turn or a call's output ends it.
    if (type !== 'function_call' && type !== 'reasoning' && !(type === 'message' && item.role === 'assistant')) signature = undefined;
    if (type === 'message') {
      out.push(message(item as Extract<ResponseInputItem, { role: string }>, at, target));
      origins.push({ path: at, kind: 'message' });
    } else if (type === 'function_call') {
      const c = item as Extract<ResponseInputItem, { type: 'function_call' }>;
      checkArguments(c.arguments, `${at}.arguments`, target);
      calls.add(c.call_id);
      const call: SignedToolCall = { id: c.call_id, type: 'function', function: { name: c.name, arguments: c.arguments } };
      if (signature !== undefined) call.extra_content = { google: { thought_signature: signature } };
      signature = undefined;
      out.push({ role: 'assistant', content: null, tool_calls: [call] });
      origins.push({ path: at, kind: 'call' });
    } else if (type === 'function_call_output') {
      const r = item as Extract<ResponseInputItem, { type: 'function_call_output' }>;
      if (!calls.has(r.call_id)) {
        throw new GatewayError('invalid_request', `${at}.call_id: no function_call item before it has call_id "${r.call_id}"`, `${at}.call_id`);
      }
      const content = typeof r.output === 'string' ? r.output : r.output.map((p, j) => part(p, `${at}.output[${j}]`, target));
      out.push({ role: 'tool', tool_call_id: r.call_id, content });
      origins.push({ path: at, kind: 'output' });
    } else if (type === 'reasoning') {
      // Reasoning from an earlier turn: nothing the provider takes back, but a thought signature of ours (see the header).
      signature = signatureFromEncrypted((item as { encrypted_content?: unknown }).encrypted_content) ?? signature;
    } else {
      unsupported(`${at}.type`, `input items of type "${type}" cannot be sent to ${target.model}`);
    }
  });
}

function message(m: { role: string; content: string | ResponseInputContent[] }, at: string, target: ResponsesTarget): ChatMessage {
  const role = m.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    unsupported(`${at}.role`, `messages with role "${role}" cannot be sent to ${target.model}`);
  }
  if (typeof m.content === 'string') return { role, content: m.content };
  return { role, content: m.content.map((p, j) => part(p, `${at}.content[${j}]`, target)) };
}

/** A content part as chat's, its cache breakpoint (cache_control) kept for Claude and Bedrock. */
function part(p: ResponseInputContent, at: string, target: ResponsesTarget): ChatContentPart {
  const out = partBody(p, at, target);
  const cc = (p as { cache_control?: ChatContentPart['cache_control'] }).cache_control;
  return cc === undefined ? out : { ...out, cache_control: cc };
}

function partBody(p: ResponseInputContent, at: string, target: ResponsesTarget): ChatContentPart {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: p.text };
    case 'refusal':
      return { type: 'refusal', refusal: p.refusal };
    case 'input_image': {
      if (typeof p.image_url !== 'string') unsupported(`${at}.file_id`, `images uploaded to OpenAI (file_id) cannot be read by ${target.model}; send image_url`);
      target.checkImage?.(p.image_url, `${at}.image_url`);
      return { type: 'image_url', image_url: { url: p.image_url } };
    }
    case 'input_file': {
      if (typeof p.file_data !== 'string') unsupported(`${at}.file_id`, `files uploaded to OpenAI (file_id) cannot be read by ${target.model}; send file_data`);
      return { type: 'file', file: { file_data: p.file_data, ...(p.filename ? { filename: p.filename } : {}) } };
    }
    default:
      return unsupported(`${at}.type`, `content parts of type "${(p as { type: string }).type}" cannot be sent to ${target.model}`);
  }
}

function checkArguments(args: string, at: string, target: ResponsesTarget): void {
  if (args.trim() === '') return;
  try {
    JSON.parse(args);
  } catch {
    throw new GatewayError('invalid_json', `${at}: function call arguments must be a JSON document (${target.name} takes them as an object)`, at);
  }
}

function chatTool(t: NonNullable<ResponsesRequest['tools']>[number], at: string, target: ResponsesTarget): ChatTool {
  if (t.type !== 'function') unsupported(`${at}.type`, `tools of type "${t.type}" cannot be sent to ${target.model}; only function tools`);
  const f = t as Extract<NonNullable<ResponsesRequest['tools']>[number], { type: 'function'; name: string }>;
  const fn: ChatTool['function'] = { name: f.name };
  if (typeof f.description === 'string') fn.description = f.description;
  if (f.parameters) fn.parameters = f.parameters;
  if (f.strict === true) fn.strict = true;
  return { type: 'function', function: fn };
}

function chatToolChoice(c: NonNullable<ResponsesRequest['tool_choice']>, target: ResponsesTarget): ChatToolChoice {
  if (typeof c === 'string') {
    if (c === 'auto' || c === 'none' || c === 'required') return c;
    return unsupported('tool_choice', `tool_choice "${c}" has no ${target.name} equivalent (auto, none, required or one function)`);
  }
  if (c.type === 'function' && typeof c.name === 'string') return { type: 'function', function: { name: c.name } };
  return unsupported('tool_choice', `tool_choice of type "${c.type}" has no ${target.name} equivalent (auto, none, required or one function)`);
}
