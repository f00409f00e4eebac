// The OpenAI Responses API request shapes (create, compact, input_tokens), checked once
// before any translation: what a translator to another provider will rely on has the right
// type, or the request is a 400 naming the JSON path. Unknown fields, item types and tool
// types pass: OpenAI adds them often, and a same-dialect request forwards them untouched.
import {
  array,
  at,
  invalid,
  optCacheControl,
  isObj,
  object,
  type Obj,
  optArrayOf,
  optBoolOrNull,
  optIntOrNull,
  optNested,
  optNumberOrNull,
  optObjectOrNull,
  optString,
  optStringOrNull,
  string,
} from '../validate.js';

/** A message's content: a string, or content parts that each name their type. */
function content(item: Obj, path: string): void {
  const c = item.content;
  if (c === undefined || typeof c === 'string') return;
  const p = at(path, 'content');
  array(c, p).forEach((v, i) => {
    const partPath = at(p, i);
    const part = object(v, partPath);
    const type = string(part, 'type', partPath);
    if (type === 'input_text' || type === 'output_text') string(part, 'text', partPath);
    else if (type === 'input_image') {
      optStringOrNull(part, 'image_url', partPath);
      optStringOrNull(part, 'file_id', partPath);
    } else if (type === 'refusal') string(part, 'refusal', partPath);
    optCacheControl(part, partPath);
  });
}

/** One input item: a message (role + content) or a typed item (function calls and their outputs among them). */
function inputItem(v: unknown, path: string): void {
  const item = object(v, path);
  optString(item, 'type', path);
  optString(item, 'role', path);
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type === undefined) invalid(at(path, 'type'), 'a string (or a role, for a message)', item.type);
  if (type === 'message') {
    string(item, 'role', path);
    if (item.content === undefined) invalid(at(path, 'content'), 'a string or an array of content parts', undefined);
    content(item, path);
  } else if (type === 'function_call') {
    string(item, 'call_id', path);
    string(item, 'name', path);
    string(item, 'arguments', path);
  } else if (type === 'function_call_output') {
    string(item, 'call_id', path);
    const out = item.output;
    if (typeof out !== 'string' && !Array.isArray(out)) invalid(at(path, 'output'), 'a string or an array of content parts', out);
  } else if (type === 'reasoning') {
    optArrayOf(item, 'summary', path, (s, p) => string(object(s, p), 'text', p));
    // Opaque state a translator may read back (a thought signature the gateway handed out).
    optStringOrNull(item, 'encrypted_content', path);
  }
}

function input(b: Obj): void {
  const v = b.input;
  if (v === undefined || v === null || typeof v === 'string') return;
  if (!Array.isArray(v)) invalid('input', 'a string or an array of input items', v);
  v.forEach((item, i) => inputItem(item, at('input', i)));
}

function tool(v: unknown, path: string): void {
  const t = object(v, path);
  const type = string(t, 'type', path);
  if (type !== 'function') return; // built-in tools (web_search, file_search, mcp…) have shapes of their own
  string(t, 'name', path);
  optStringOrNull(t, 'description', path);
  optObjectOrNull(t, 'parameters', path);
  optBoolOrNull(t, 'strict', path);
}

function toolChoice(b: Obj): void {
  const c = b.tool_choice;
  if (c === undefined || c === null || typeof c === 'string') return;
  const o = object(c, 'tool_choice');
  const type = string(o, 'type', 'tool_choice');
  if (type === 'function') string(o, 'name', 'tool_choice');
}

function stringsOrNull(b: Obj, key: string): void {
  const v = b[key];
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) invalid(key, 'an array of strings or null', v);
}

/** What create, compact and input_tokens share: the model, the conversation and its tools. */
function conversation(b: Obj): void {
  optString(b, 'model', '');
  input(b);
  optStringOrNull(b, 'instructions', '');
  optStringOrNull(b, 'previous_response_id', '');
  const conv = b.conversation;
  if (conv !== undefined && conv !== null && typeof conv !== 'string') string(object(conv, 'conversation'), 'id', 'conversation');
  optArrayOf(b, 'tools', '', tool);
  toolChoice(b);
  optBoolOrNull(b, 'parallel_tool_calls', '');
  optObjectOrNull(b, 'reasoning', '');
  if (isObj(b.reasoning)) {
    optStringOrNull(b.reasoning, 'effort', 'reasoning');
    optStringOrNull(b.reasoning, 'summary', 'reasoning');
  }
  optNested(b, 'text', '', (t, p) => {
    optObjectOrNull(t, 'format', p);
    if (isObj(t.format)) string(t.format, 'type', at(p, 'format'));
  });
  optStringOrNull(b, 'truncation', '');
}

/** POST /responses. */
export function validateResponsesCreate(b: Obj): void {
  conversation(b);
  for (const k of ['stream', 'background', 'store']) optBoolOrNull(b, k, '');
  optObjectOrNull(b, 'stream_options', '');
  for (const k of ['max_output_tokens', 'max_tool_calls', 'top_logprobs']) optIntOrNull(b, k, '');
  for (const k of ['temperature', 'top_p']) optNumberOrNull(b, k, '');
  optObjectOrNull(b, 'metadata', '');
  optObjectOrNull(b, 'prompt', '');
  if (isObj(b.prompt)) string(b.prompt, 'id', 'prompt');
  stringsOrNull(b, 'include');
  optString(b, 'user', '');
  optStringOrNull(b, 'service_tier', '');
  optStringOrNull(b, 'safety_identifier', '');
  optStringOrNull(b, 'prompt_cache_key', '');
}

/** POST /responses/compact and POST /responses/input_tokens: a conversation, nothing generated to the client. */
export function validateResponsesConversation(b: Obj): void {
  conversation(b);
}
