// OpenAI chat messages -> Anthropic `system` + `messages`. The two models differ in
// shape, not meaning: OpenAI has system/developer turns anywhere, tool calls as a
// message field and tool results as their own role; Anthropic has one top-level
// system prompt, tool calls and results as content blocks, and wants the results
// of one assistant turn together in the next user turn, before any text.
//
// Deliberately dropped, because the other side has no place for them and they do
// not change what the model is asked: a message's `name`, an image part's
// `detail`. System/developer messages in mid-conversation move to the system
// prompt (Anthropic has no other place for them) in their order. A content part's
// `cache_control` (the extension Anthropic-compatible OpenAI clients send) stays on
// its block: a prompt-cache breakpoint Claude takes as it is.
import type { ContentBlock, DocumentBlock, ImageBlock, MessageParam, OtherBlock, TextBlock, ToolResultBlock } from '../../dialects/anthropic/types.js';
import type { ChatContentPart, ChatMessage } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';

export interface AnthropicConversation {
  system?: string | TextBlock[];
  messages: MessageParam[];
}

export function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicConversation {
  const system: TextBlock[] = [];
  const out: MessageParam[] = [];
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textOnly(m.content, `${at}.content`));
        return;
      case 'user':
        append(out, 'user', userContent(m.content, `${at}.content`));
        return;
      case 'assistant': {
        const content = assistantContent(m, at);
        if (content.length > 0) append(out, 'assistant', content);
        return;
      }
      case 'tool':
        append(out, 'user', [toolResult(m, at)]);
        return;
      default:
        throw new GatewayError('unsupported_field', `messages with role "${String(m.role)}" cannot be sent to an Anthropic model; use tool messages`, `${at}.role`);
    }
  });
  const conv: AnthropicConversation = { messages: out };
  // One plain block is sent as a string, Anthropic's simplest form; a cache breakpoint needs the block.
  if (system.length === 1 && !system[0]!.cache_control) conv.system = system[0]!.text;
  else if (system.length > 0) conv.system = system;
  return conv;
}

/** Adds a turn, merging it into the previous one when the role repeats (tool results, then user text). */
function append(out: MessageParam[], role: 'user' | 'assistant', content: string | ContentBlock[]): void {
  const last = out[out.length - 1];
  if (!last || last.role !== role) {
    out.push({ role, content });
    return;
  }
  const merged = [...asBlocks(last.content), ...asBlocks(content)];
  // Anthropic requires a user turn's tool_result blocks ahead of any other content.
  const results = merged.filter((b) => b.type === 'tool_result');
  last.content = results.length > 0 ? [...results, ...merged.filter((b) => b.type !== 'tool_result')] : merged;
}

function asBlocks(content: MessageParam['content']): (ContentBlock | OtherBlock)[] {
  return typeof content === 'string' ? (content === '' ? [] : [{ type: 'text', text: content }]) : content;
}

function textOnly(content: ChatMessage['content'], at: string): TextBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map((p, j) => {
    if (p.type === 'text') return cached({ type: 'text', text: p.text }, p);
    throw new GatewayError('unsupported_field', `a system message part of type "${p.type}" cannot be sent to an Anthropic model; only text`, `${at}[${j}].type`);
  });
}

/** A block with the part's prompt-cache breakpoint, which Claude takes as it is. */
function cached<B extends ContentBlock>(block: B, p: ChatContentPart): B {
  return p.cache_control === undefined || p.cache_control === null ? block : { ...block, cache_control: p.cache_control };
}

function userContent(content: ChatMessage['content'], at: string): string | ContentBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content;
  return content.map((p, j) => cached(partToBlock(p, `${at}[${j}]`), p));
}

function partToBlock(p: ChatContentPart, at: string): ContentBlock {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'refusal':
      return { type: 'text', text: p.refusal };
    case 'image_url':
      return imageBlock(p.image_url?.url, `${at}.image_url.url`);
    case 'file':
      return documentBlock(p.file, `${at}.file`);
    default:
      throw new GatewayError('unsupported_field', `content parts of type "${p.type}" cannot be sent to an Anthropic model`, `${at}.type`);
  }
}

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]+)*?)(;base64)?,(.*)$/s;

/** A data: URL as media type + base64 payload (URL-encoded payloads are re-encoded). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  const mediaType = m[1] ?? 'text/plain';
  const data = m[3] ? m[4]! : Buffer.from(decodeURIComponent(m[4]!), 'utf8').toString('base64');
  return { mediaType, data };
}

export function imageBlock(url: string | undefined, at: string): ImageBlock {
  if (typeof url !== 'string') throw new GatewayError('unsupported_field', 'an image part needs image_url.url', at);
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (!parsed) throw new GatewayError('unsupported_field', 'the image data URL cannot be parsed', at);
    return { type: 'image', source: { type: 'base64', media_type: parsed.mediaType, data: parsed.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new GatewayError('unsupported_field', 'Anthropic models take images as data: or http(s): URLs only', at);
}

function documentBlock(file: { file_data?: string; file_id?: string; filename?: string } | undefined, at: string): DocumentBlock {
  if (!file?.file_data) {
    throw new GatewayError('unsupported_field', 'files uploaded to OpenAI (file_id) cannot be read by an Anthropic model; send file_data', `${at}.file_id`);
  }
  // OpenAI's SDK examples send a data URL; a bare payload is base64 of a PDF, the only file type OpenAI takes inline.
  const parsed = file.file_data.startsWith('data:') ? parseDataUrl(file.file_data) : { mediaType: 'application/pdf', data: file.file_data };
  if (!parsed) throw new GatewayError('unsupported_field', 'the file data URL cannot be parsed', `${at}.file_data`);
  const title = file.filename ? { title: file.filename } : {};
  if (parsed.mediaType === 'text/plain') {
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(parsed.data, 'base64').toString('utf8') }, ...title };
  }
  return { type: 'document', source: { type: 'base64', media_type: parsed.mediaType, data: parsed.data }, ...title };
}

function assistantContent(m: ChatMessage, at: string): string | ContentBlock[] {
  if (m.function_call !== undefined && m.function_call !== null) {
    throw new GatewayError('unsupported_field', 'the legacy function_call field cannot be sent to an Anthropic model; use tool_calls', `${at}.function_call`);
  }
  const calls = m.tool_calls ?? [];
  if (calls.length === 0 && typeof m.content === 'string') return m.content;
  const blocks: ContentBlock[] = typeof m.content === 'string' ? (asBlocks(m.content) as ContentBlock[]) : (m.content ?? []).map((p, j) => partToBlock(p, `${at}.content[${j}]`));
  calls.forEach((c, k) => {
    if (c.type !== 'function') throw new GatewayError('unsupported_field', `tool calls of type "${String(c.type)}" cannot be sent to an Anthropic model`, `${at}.tool_calls[${k}].type`);
    blocks.push({ type: 'tool_use', id: c.id, name: c.function.name, input: parseArguments(c.function.arguments, `${at}.tool_calls[${k}].function.arguments`) });
  });
  return blocks;
}

function parseArguments(args: string | undefined, at: string): unknown {
  if (args === undefined || args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    throw new GatewayError('invalid_json', 'tool call arguments must be a JSON document (Anthropic takes them as an object)', at);
  }
}

function toolResult(m: ChatMessage, at: string): ToolResultBlock {
  if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') {
    throw new GatewayError('unsupported_field', 'a tool message needs tool_call_id', `${at}.tool_call_id`);
  }
  const content = m.content ?? '';
  const block: ToolResultBlock = {
    type: 'tool_result',
    tool_use_id: m.tool_call_id,
    content: typeof content === 'string' ? content : content.map((p, j) => partToBlock(p, `${at}.content[${j}]`)),
  };
  return block;
}
