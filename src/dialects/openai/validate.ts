// The OpenAI request shapes the translators rely on (Chat Completions, legacy Completions,
// Embeddings; the Responses API's are in responses-validate.ts), checked once before any
// translation: wrong types are a 400 naming the JSON path, never a silent drop or a crash
// further in. Unknown fields and unknown content part types pass: OpenAI adds them, and a
// same-dialect request forwards them untouched.
import type { Operation } from '../types.js';
import { validateResponsesConversation, validateResponsesCreate } from './responses-validate.js';
import {
  array,
  at,
  invalid,
  isObj,
  object,
  type Obj,
  optCacheControl,
  optArrayOf,
  optBool,
  optBoolOrNull,
  optInt,
  optIntOrNull,
  optNumberOrNull,
  optObject,
  optObjectOrNull,
  optString,
  optStringOrNull,
  optStringOrStrings,
  string,
} from '../validate.js';

function contentPart(v: unknown, path: string): void {
  const p = object(v, path);
  const type = string(p, 'type', path);
  if (type === 'text') string(p, 'text', path);
  else if (type === 'image_url') string(object(p.image_url, at(path, 'image_url')), 'url', at(path, 'image_url'));
  else if (type === 'input_audio') {
    const a = object(p.input_audio, at(path, 'input_audio'));
    string(a, 'data', at(path, 'input_audio'));
    optString(a, 'format', at(path, 'input_audio'));
  } else if (type === 'file') {
    const f = object(p.file, at(path, 'file'));
    for (const k of ['file_data', 'file_id', 'filename']) optString(f, k, at(path, 'file'));
  } else if (type === 'refusal') string(p, 'refusal', path);
  optCacheControl(p, path);
}

function content(m: Obj, path: string): void {
  const c = m.content;
  if (c === undefined || c === null || typeof c === 'string') return;
  if (!Array.isArray(c)) invalid(at(path, 'content'), 'a string, an array of content parts or null', c);
  c.forEach((part, i) => contentPart(part, at(at(path, 'content'), i)));
}

function toolCall(v: unknown, path: string): void {
  const t = object(v, path);
  optString(t, 'id', path);
  optString(t, 'type', path);
  const f = object(t.function, at(path, 'function'));
  string(f, 'name', at(path, 'function'));
  optString(f, 'arguments', at(path, 'function'));
}

function message(v: unknown, path: string): void {
  const m = object(v, path);
  string(m, 'role', path);
  content(m, path);
  optString(m, 'name', path);
  optString(m, 'tool_call_id', path);
  optStringOrNull(m, 'refusal', path);
  optArrayOf(m, 'tool_calls', path, toolCall);
  optObjectOrNull(m, 'function_call', path);
}

function tool(v: unknown, path: string): void {
  const t = object(v, path);
  optString(t, 'type', path);
  if (t.function === undefined) return; // built-in tool types carry no function
  const f = object(t.function, at(path, 'function'));
  string(f, 'name', at(path, 'function'));
  optString(f, 'description', at(path, 'function'));
  optObject(f, 'parameters', at(path, 'function'));
  optBoolOrNull(f, 'strict', at(path, 'function'));
}

function toolChoice(b: Obj): void {
  const c = b.tool_choice;
  if (c === undefined || c === null || typeof c === 'string') return;
  const o = object(c, 'tool_choice');
  optString(o, 'type', 'tool_choice');
  if (o.function !== undefined) string(object(o.function, 'tool_choice.function'), 'name', 'tool_choice.function');
}

function responseFormat(b: Obj): void {
  if (b.response_format === undefined || b.response_format === null) return;
  const r = object(b.response_format, 'response_format');
  string(r, 'type', 'response_format');
  if (r.json_schema === undefined) return;
  const s = object(r.json_schema, 'response_format.json_schema');
  optString(s, 'name', 'response_format.json_schema');
  optObject(s, 'schema', 'response_format.json_schema');
  optBoolOrNull(s, 'strict', 'response_format.json_schema');
}

function sampling(b: Obj): void {
  optString(b, 'model', '');
  optBoolOrNull(b, 'stream', '');
  optObjectOrNull(b, 'stream_options', '');
  if (isObj(b.stream_options)) optBoolOrNull(b.stream_options, 'include_usage', 'stream_options');
  for (const k of ['max_tokens', 'max_completion_tokens', 'n', 'top_logprobs', 'seed']) optIntOrNull(b, k, '');
  for (const k of ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty']) optNumberOrNull(b, k, '');
  optStringOrStrings(b, 'stop', '');
  optString(b, 'user', '');
  optBoolOrNull(b, 'logprobs', '');
}

function chat(b: Obj): void {
  sampling(b);
  array(b.messages, 'messages').forEach((m, i) => message(m, at('messages', i)));
  optArrayOf(b, 'tools', '', tool);
  toolChoice(b);
  optBool(b, 'parallel_tool_calls', '');
  responseFormat(b);
  optString(b, 'reasoning_effort', '');
}

function completions(b: Obj): void {
  sampling(b);
  const p = b.prompt;
  const ok = p === undefined || typeof p === 'string' || (Array.isArray(p) && (p.every((x) => typeof x === 'string') || p.every((x) => Number.isInteger(x) || (Array.isArray(x) && x.every(Number.isInteger)))));
  if (!ok) invalid('prompt', 'a string, an array of strings or an array of token arrays', p);
  optString(b, 'suffix', '');
  optBoolOrNull(b, 'echo', '');
}

function embeddings(b: Obj): void {
  optString(b, 'model', '');
  const input = b.input;
  const ok = typeof input === 'string' || (Array.isArray(input) && (input.every((x) => typeof x === 'string') || input.every(Number.isInteger) || input.every((x) => Array.isArray(x) && x.every(Number.isInteger))));
  if (!ok) invalid('input', 'a string, an array of strings, or token arrays', input);
  optString(b, 'encoding_format', '');
  optInt(b, 'dimensions', '');
  optString(b, 'user', '');
}

const BY_OPERATION: Partial<Record<Operation, (b: Obj) => void>> = {
  chat,
  completions,
  embeddings,
  responses: validateResponsesCreate,
  responses_compact: validateResponsesConversation,
  other: validateResponsesConversation, // POST /responses/input_tokens
};

export function validateOpenAI(operation: Operation, body: Obj): void {
  BY_OPERATION[operation]?.(body);
}
