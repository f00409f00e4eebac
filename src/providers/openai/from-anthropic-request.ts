// An Anthropic Messages request -> an OpenAI Chat Completions request: for
// Anthropic SDKs (Claude Code, agents) talking to an OpenAI model or any
// OpenAI-compatible server. Fields are mapped, dropped for a stated reason, or
// refused with a 400 unsupported_field naming them.
//
// Dropped on purpose: `cache_control` (a caching hint; OpenAI caches prompts on
// its own), thinking blocks in past assistant turns (Anthropic itself ignores
// them outside the current tool loop, and OpenAI has no field to take them).
// A tool_result with `is_error` is sent as a tool message whose text starts with
// "Error: ", the only way Chat Completions can say a tool failed.
import type { ContentBlock, DocumentBlock, ImageBlock, MessageParam, MessagesRequest, OtherBlock, Tool, ToolChoice, ToolResultBlock } from '../../dialects/anthropic/types.js';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolChoice } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';

export interface ToOpenAIOptions {
  /** The model to request (a backend or route pin); defaults to the body's. */
  model?: string;
  /** `max_completion_tokens` for OpenAI's own API (its reasoning models refuse `max_tokens`); `max_tokens` for compatible servers. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

const HANDLED = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'stream', 'temperature', 'top_p', 'tools', 'tool_choice',
  'metadata', 'thinking', 'output_config', 'output_format', 'service_tier',
]);

export function toOpenAIChatRequest(body: MessagesRequest, opts: ToOpenAIOptions): ChatCompletionRequest {
  for (const key of Object.keys(body)) {
    if (!HANDLED.has(key) && body[key] !== undefined && body[key] !== null) {
      throw new GatewayError('unsupported_field', `"${key}" has no equivalent in OpenAI's Chat Completions API`, key);
    }
  }
  const model = opts.model ?? body.model;
  if (typeof model !== 'string' || model === '') throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
  if (!Array.isArray(body.messages)) throw new GatewayError('unsupported_field', 'messages must be an array', 'messages');
  const messages: ChatMessage[] = [];
  if (body.system !== undefined && body.system !== null) messages.push(systemMessage(body.system));
  body.messages.forEach((m, i) => messages.push(...toChatMessages(m, `messages[${i}]`)));

  const out: ChatCompletionRequest = { model, messages };
  if (typeof body.max_tokens === 'number') out[opts.maxTokensField] = body.max_tokens;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (body.stop_sequences && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  if (body.stream === true) {
    out.stream = true;
    // Every streamed token is counted: OpenAI reports usage in streams only when asked.
    out.stream_options = { include_usage: true };
  }
  if (body.tools && body.tools.length > 0) {
    out.tools = body.tools.map((t, i) => toChatTool(t, `tools[${i}]`));
    applyToolChoice(out, body.tool_choice);
  }
  const user = body.metadata?.user_id;
  if (typeof user === 'string' && user !== '') out.user = user;
  applyThinking(out, body.thinking);
  applyOutputFormat(out, body);
  if (body.service_tier !== undefined) {
    // Anthropic's standard_only is OpenAI's default tier; auto means the same on both.
    if (body.service_tier === 'auto') out.service_tier = 'auto';
    else if (body.service_tier === 'standard_only') out.service_tier = 'default';
    else throw new GatewayError('unsupported_field', `service_tier "${body.service_tier}" has no OpenAI equivalent`, 'service_tier');
  }
  return out;
}

function systemMessage(system: MessagesRequest['system']): ChatMessage {
  if (typeof system === 'string') return { role: 'system', content: system };
  const parts = (system ?? []).map((b, i) => {
    if (b.type !== 'text') throw new GatewayError('unsupported_field', `system blocks of type "${String(b.type)}" cannot be sent to an OpenAI model`, `system[${i}].type`);
    return b.text;
  });
  return { role: 'system', content: parts.length === 1 ? parts[0]! : parts.map((text) => ({ type: 'text' as const, text })) };
}

/** One Anthropic turn -> one or more OpenAI messages (a user turn's tool results become tool messages, first). */
function toChatMessages(m: MessageParam, at: string): ChatMessage[] {
  if (m.role !== 'user' && m.role !== 'assistant') throw new GatewayError('unsupported_field', `role "${String(m.role)}" is not a Messages role`, `${at}.role`);
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  if (m.role === 'assistant') return [assistantMessage(m.content, at)];
  const out: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  m.content.forEach((b, j) => {
    const where = `${at}.content[${j}]`;
    if (b.type === 'tool_result') out.push(toolMessage(b as ToolResultBlock, where));
    else parts.push(toPart(b, where));
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts.length === 1 && parts[0]!.type === 'text' ? parts[0]!.text : parts });
  return out;
}

function assistantMessage(blocks: (ContentBlock | OtherBlock)[], at: string): ChatMessage {
  let text: string | null = null;
  const calls: NonNullable<ChatMessage['tool_calls']> = [];
  blocks.forEach((b, j) => {
    if (b.type === 'text') text = (text ?? '') + String((b as { text: string }).text);
    else if (b.type === 'tool_use') {
      const u = b as { id: string; name: string; input: unknown };
      calls.push({ id: u.id, type: 'function', function: { name: u.name, arguments: JSON.stringify(u.input ?? {}) } });
    } else if (b.type !== 'thinking' && b.type !== 'redacted_thinking') {
      throw new GatewayError('unsupported_field', `assistant blocks of type "${b.type}" cannot be sent to an OpenAI model`, `${at}.content[${j}].type`);
    }
  });
  const msg: ChatMessage = { role: 'assistant', content: text };
  if (calls.length > 0) msg.tool_calls = calls;
  return msg;
}

function toolMessage(b: ToolResultBlock, at: string): ChatMessage {
  let content: string;
  if (typeof b.content === 'string' || b.content === undefined) content = b.content ?? '';
  else {
    // OpenAI tool messages hold text only.
    content = b.content
      .map((c, k) => {
        if (c.type === 'text') return c.text;
        throw new GatewayError('unsupported_field', `tool results holding "${c.type}" blocks cannot be sent to an OpenAI model; only text`, `${at}.content[${k}].type`);
      })
      .join('\n');
  }
  return { role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error === true ? `Error: ${content}` : content };
}

function toPart(b: ContentBlock | OtherBlock, at: string): ChatContentPart {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: (b as { text: string }).text };
    case 'image': {
      const src = (b as ImageBlock).source;
      if (src?.type === 'base64') return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` } };
      if (src?.type === 'url') return { type: 'image_url', image_url: { url: src.url } };
      throw new GatewayError('unsupported_field', 'images from the Anthropic Files API cannot be sent to an OpenAI model; use base64 or url sources', `${at}.source.type`);
    }
    case 'document': {
      const d = b as DocumentBlock;
      if (d.source?.type === 'text') return { type: 'text', text: d.source.data };
      if (d.source?.type === 'base64') return { type: 'file', file: { filename: d.title ?? 'document.pdf', file_data: `data:${d.source.media_type};base64,${d.source.data}` } };
      throw new GatewayError('unsupported_field', `documents with a "${String(d.source?.type)}" source cannot be sent to an OpenAI model; use base64 or text`, `${at}.source.type`);
    }
    default:
      throw new GatewayError('unsupported_field', `content blocks of type "${b.type}" cannot be sent to an OpenAI model`, `${at}.type`);
  }
}

function toChatTool(t: Tool, at: string): ChatTool {
  if (t.type !== undefined && t.type !== 'custom') {
    throw new GatewayError('unsupported_field', `Anthropic server tools ("${t.type}") cannot run on an OpenAI model`, `${at}.type`);
  }
  const fn: ChatTool['function'] = { name: t.name, parameters: t.input_schema };
  if (t.description !== undefined) fn.description = t.description;
  if (t.strict === true) fn.strict = true;
  return { type: 'function', function: fn };
}

function applyToolChoice(out: ChatCompletionRequest, choice: ToolChoice | undefined): void {
  if (!choice) return;
  const map: Record<string, ChatToolChoice | undefined> = { auto: 'auto', any: 'required', none: 'none' };
  if (choice.type === 'tool') out.tool_choice = { type: 'function', function: { name: choice.name } };
  else if (map[choice.type]) out.tool_choice = map[choice.type];
  else throw new GatewayError('unsupported_field', `tool_choice "${String((choice as { type: unknown }).type)}" has no OpenAI equivalent`, 'tool_choice.type');
  if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
}

// Extended thinking -> reasoning effort by budget; thresholds follow Anthropic's
// guidance (1024 is the minimum budget, tens of thousands for hard problems).
// Adaptive thinking names no budget: the model decides, as an OpenAI reasoning model
// does at its default effort (output_config.effort, when given, still sets one).
function applyThinking(out: ChatCompletionRequest, thinking: MessagesRequest['thinking']): void {
  if (!thinking || thinking.type === 'disabled' || thinking.type === 'adaptive') return;
  if (thinking.type !== 'enabled') throw new GatewayError('unsupported_field', `thinking "${thinking.type}" has no OpenAI equivalent`, 'thinking.type');
  const budget = (thinking as { budget_tokens?: number }).budget_tokens ?? 0;
  out.reasoning_effort = budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high';
}

function applyOutputFormat(out: ChatCompletionRequest, body: MessagesRequest): void {
  const { output_config: cfg } = body;
  if (cfg) {
    for (const key of Object.keys(cfg)) {
      if (key !== 'format' && key !== 'effort') throw new GatewayError('unsupported_field', `output_config.${key} has no OpenAI equivalent`, `output_config.${key}`);
    }
    if (typeof cfg.effort === 'string') out.reasoning_effort = cfg.effort;
  }
  const format = cfg?.format ?? body.output_format;
  if (!format) return;
  if (format.type !== 'json_schema') throw new GatewayError('unsupported_field', `output format "${String(format.type)}" has no OpenAI equivalent`, 'output_config.format.type');
  out.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: format.schema, strict: true } };
}
