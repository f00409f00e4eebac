// The Anthropic Messages request shape the translators rely on (messages and
// count_tokens), checked once before any translation: wrong types are a 400 naming the
// JSON path (`messages[0].content[1].input`), never a silent drop or a crash further in.
// Block types the gateway does not model pass, as long as they are objects with a type.
import type { Operation } from '../types.js';
import { array, at, invalid, object, type Obj, optArrayOf, optBool, optInt, optNested, optNumber, optObject, optString, optStrings, string } from '../validate.js';

function blocks(v: unknown, path: string): void {
  if (typeof v === 'string') return;
  if (!Array.isArray(v)) invalid(path, 'a string or an array of content blocks', v);
  v.forEach((b, i) => block(b, at(path, i)));
}

function source(b: Obj, path: string): void {
  const s = object(b.source, at(path, 'source'));
  const p = at(path, 'source');
  const type = string(s, 'type', p);
  if (type === 'base64' || type === 'text') {
    string(s, 'data', p);
    optString(s, 'media_type', p);
  } else if (type === 'url') string(s, 'url', p);
  else if (type === 'file') string(s, 'file_id', p);
  else if (type === 'content') blocks(s.content, at(p, 'content'));
}

function block(v: unknown, path: string): void {
  const b = object(v, path);
  const type = string(b, 'type', path);
  switch (type) {
    case 'text':
      string(b, 'text', path);
      break;
    case 'image':
    case 'document':
      source(b, path);
      break;
    case 'tool_use':
    case 'server_tool_use':
      string(b, 'id', path);
      string(b, 'name', path);
      if (b.input !== undefined) object(b.input, at(path, 'input'));
      break;
    case 'tool_result':
      string(b, 'tool_use_id', path);
      if (b.content !== undefined) blocks(b.content, at(path, 'content'));
      optBool(b, 'is_error', path);
      break;
    case 'thinking':
      string(b, 'thinking', path);
      optString(b, 'signature', path);
      break;
    case 'redacted_thinking':
      string(b, 'data', path);
      break;
  }
}

function message(v: unknown, path: string): void {
  const m = object(v, path);
  string(m, 'role', path);
  blocks(m.content, at(path, 'content'));
}

function tool(v: unknown, path: string): void {
  const t = object(v, path);
  optString(t, 'type', path);
  optString(t, 'description', path);
  // Client tools name their input; server tools (web_search_…) carry only a versioned type.
  if (t.type === undefined || t.type === 'custom') {
    string(t, 'name', path);
    object(t.input_schema, at(path, 'input_schema'));
  } else optString(t, 'name', path);
}

function system(b: Obj): void {
  const s = b.system;
  if (s === undefined || typeof s === 'string') return;
  if (!Array.isArray(s)) invalid('system', 'a string or an array of text blocks', s);
  s.forEach((x, i) => block(x, at('system', i)));
}

function messages(b: Obj): void {
  optString(b, 'model', '');
  array(b.messages, 'messages').forEach((m, i) => message(m, at('messages', i)));
  system(b);
  optArrayOf(b, 'tools', '', tool);
  optNested(b, 'tool_choice', '', (c, at) => {
    string(c, 'type', at);
    optString(c, 'name', at);
    optBool(c, 'disable_parallel_tool_use', at);
  });
  optInt(b, 'max_tokens', '');
  optStrings(b, 'stop_sequences', '');
  optBool(b, 'stream', '');
  optNumber(b, 'temperature', '');
  optNumber(b, 'top_p', '');
  optInt(b, 'top_k', '');
  optObject(b, 'metadata', '');
  optNested(b, 'thinking', '', (t, at) => (string(t, 'type', at), optInt(t, 'budget_tokens', at)));
  optObject(b, 'output_config', '');
  optObject(b, 'output_format', '');
  optString(b, 'service_tier', '');
}

const BY_OPERATION: Partial<Record<Operation, (b: Obj) => void>> = { chat: messages, other: messages };

export function validateAnthropic(operation: Operation, body: Obj): void {
  BY_OPERATION[operation]?.(body);
}
