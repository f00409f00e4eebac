// An Anthropic Messages request -> a Gemini GenerateContentRequest (AI Studio or Vertex's
// Gemini models). Every field is expressed, dropped for a stated reason, or refused with a
// 400 unsupported_field naming it.
//
// Dropped on purpose: `cache_control` (a caching hint; Gemini caches implicitly),
// `metadata.user_id` (bookkeeping, asks no different generation), `redacted_thinking` blocks
// and thinking blocks Gemini did not sign in past turns (only Claude can read those, Gemini
// reads nothing from unsigned thought text), `thinking: {type: disabled}` (sent as nothing: Gemini 2.5 Pro refuses a
// zero thinking budget, and without includeThoughts no thoughts come back).
//
// Gemini has no tool-call ids: a tool_result names the function by looking up the
// tool_use block it answers. Thought signatures come back from the gateway inside
// `thinking` blocks (see from-anthropic-response.ts) and go back on the part they came with.
import type { ContentBlock, DocumentBlock, ImageBlock, MessageParam, MessagesRequest, OtherBlock, TextBlock, Tool, ToolChoice, ToolResultBlock } from '../../dialects/anthropic/types.js';
import type { GeminiContent, GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiPart, GeminiToolConfig, GenerateContentRequest } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { remoteUrlPart } from './media.js';
import { forResponseJsonSchema, hasNoProperties, toGeminiSchema } from './schema.js';
import type { GeminiTarget } from './target.js';

const HANDLED = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice',
  'metadata', 'thinking', 'output_config', 'output_format', 'service_tier', 'anthropic_version',
]);

/** A Gemini thought part's signature, as a thinking block carries it (see from-anthropic-response.ts). */
export const THOUGHT_SIGNATURE = 'gemini:';
/** The signature of the Gemini part after the block (a text or function call part). */
export const NEXT_PART_SIGNATURE = 'gemini-next:';

export function geminiFromAnthropic(req: MessagesRequest, target: GeminiTarget): GenerateContentRequest {
  for (const key of Object.keys(req)) {
    if (!HANDLED.has(key) && req[key] !== undefined && req[key] !== null) {
      throw new GatewayError('unsupported_field', `"${key}" has no Gemini equivalent`, key);
    }
  }
  if (req.service_tier !== undefined && req.service_tier !== 'auto' && req.service_tier !== 'standard_only') {
    throw new GatewayError('unsupported_field', `service_tier "${String(req.service_tier)}" has no Gemini equivalent`, 'service_tier');
  }
  const out: GenerateContentRequest = { contents: contents(req.messages) };
  const system = systemParts(req.system);
  if (system.length > 0) out.systemInstruction = { parts: system };
  applyTools(out, req.tools, req.tool_choice);
  const gen = generationConfig(req, target);
  if (Object.keys(gen).length > 0) out.generationConfig = gen;
  return out;
}

function systemParts(system: MessagesRequest['system']): GeminiPart[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ text: system }];
  return system.map((b: TextBlock, i) => {
    if (b.type !== 'text') throw new GatewayError('unsupported_field', `system blocks of type "${String(b.type)}" cannot be sent to Gemini`, `system[${i}].type`);
    return { text: b.text };
  });
}

/** Consecutive turns of one role merge: Gemini wants parallel function responses in one turn. */
function contents(messages: MessageParam[]): GeminiContent[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new GatewayError('unsupported_field', 'messages must be a non-empty array', 'messages');
  const names = new Map<string, string>();
  const out: GeminiContent[] = [];
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (m.role !== 'user' && m.role !== 'assistant') throw new GatewayError('unsupported_field', `role "${String(m.role)}" is not a Messages role`, `${at}.role`);
    const role = m.role === 'user' ? 'user' : 'model';
    const parts = role === 'user' ? userParts(m.content, at, names) : modelParts(m.content, at, names);
    if (parts.length === 0) return;
    const last = out[out.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  });
  if (out.length === 0) throw new GatewayError('unsupported_field', 'messages hold no content Gemini can take', 'messages');
  return out;
}

function userParts(content: MessageParam['content'], at: string, names: Map<string, string>): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.map((b, j) => {
    const where = `${at}.content[${j}]`;
    if (b.type === 'tool_result') return functionResponse(b as ToolResultBlock, where, names);
    return mediaOrText(b, where);
  });
}

function modelParts(content: MessageParam['content'], at: string, names: Map<string, string>): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: GeminiPart[] = [];
  /** A signature that belongs to the next part (a Gemini text or function call part). */
  let pending: string | undefined;
  const push = (p: GeminiPart) => {
    if (pending !== undefined) {
      p.thoughtSignature = pending;
      pending = undefined;
    }
    parts.push(p);
  };
  content.forEach((b, j) => {
    const where = `${at}.content[${j}]`;
    switch (b.type) {
      case 'text': {
        const text = (b as TextBlock).text;
        if (text !== '' || pending !== undefined) push({ text });
        return;
      }
      case 'tool_use': {
        const u = b as { id: string; name: string; input?: unknown };
        names.set(u.id, u.name);
        push({ functionCall: { name: u.name, args: (u.input ?? {}) as Record<string, unknown> } });
        return;
      }
      case 'thinking': {
        // Only Gemini's own signatures go back: Claude's (a conversation that moved here) would be refused as corrupt.
        const { thinking, signature } = b as { thinking: string; signature?: string };
        if (typeof signature !== 'string') return;
        if (signature.startsWith(NEXT_PART_SIGNATURE)) pending = signature.slice(NEXT_PART_SIGNATURE.length);
        else if (signature.startsWith(THOUGHT_SIGNATURE)) parts.push({ text: thinking, thought: true, thoughtSignature: signature.slice(THOUGHT_SIGNATURE.length) });
        return;
      }
      case 'redacted_thinking':
        return;
      default:
        throw new GatewayError('unsupported_field', `assistant blocks of type "${b.type}" cannot be sent to Gemini`, `${where}.type`);
    }
  });
  // A signature Gemini put on an empty closing text part goes back the same way.
  if (pending !== undefined) parts.push({ text: '', thoughtSignature: pending });
  return parts;
}

function mediaOrText(b: ContentBlock | OtherBlock, at: string): GeminiPart {
  switch (b.type) {
    case 'text':
      return { text: (b as TextBlock).text };
    case 'image': {
      const src = (b as ImageBlock).source;
      if (src?.type === 'base64') return { inlineData: { mimeType: src.media_type, data: src.data } };
      // Gemini fetches http(s) files whose type it is told; the extension tells it, as for OpenAI clients.
      if (src?.type === 'url') return remoteUrlPart(src.url, `${at}.source.url`);
      throw new GatewayError('unsupported_field', 'images from the Anthropic Files API cannot be sent to Gemini; use base64 or url sources', `${at}.source.type`);
    }
    case 'document': {
      const src = (b as DocumentBlock).source;
      if (src?.type === 'base64') return { inlineData: { mimeType: src.media_type, data: src.data } };
      if (src?.type === 'text') return { text: src.data };
      if (src?.type === 'url') return remoteUrlPart(src.url, `${at}.source.url`);
      throw new GatewayError('unsupported_field', `documents with a "${String(src?.type)}" source cannot be sent to Gemini; use base64, text or url`, `${at}.source.type`);
    }
    default:
      throw new GatewayError('unsupported_field', `content blocks of type "${b.type}" cannot be sent to Gemini`, `${at}.type`);
  }
}

/** Gemini wants an object; a text result goes under `output` (or `error`), the keys Google's API documents. */
function functionResponse(b: ToolResultBlock, at: string, names: Map<string, string>): GeminiPart {
  const name = names.get(b.tool_use_id);
  if (!name) throw new GatewayError('unsupported_field', `${at}.tool_use_id does not name a tool_use block of an earlier assistant turn; Gemini needs the function's name`, `${at}.tool_use_id`);
  let text: string;
  if (b.content === undefined || typeof b.content === 'string') text = b.content ?? '';
  else {
    text = b.content
      .map((c, k) => {
        if (c.type === 'text') return c.text;
        throw new GatewayError('unsupported_field', `Gemini function responses take only text, not "${c.type}" blocks`, `${at}.content[${k}].type`);
      })
      .join('\n');
  }
  if (b.is_error === true) return { functionResponse: { name, response: { error: text } } };
  let response: Record<string, unknown> = { output: text };
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) response = v as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { functionResponse: { name, response } };
}

function applyTools(out: GenerateContentRequest, tools: Tool[] | undefined, choice: ToolChoice | undefined): void {
  if (choice && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) {
    throw new GatewayError('unsupported_field', 'Gemini cannot be limited to one tool call per turn', 'tool_choice.disable_parallel_tool_use');
  }
  if (!tools || tools.length === 0) {
    // Without declarations Gemini calls nothing: any choice but "none" or "auto" asks for the impossible.
    if (choice && choice.type !== 'none' && choice.type !== 'auto') throw new GatewayError('unsupported_field', `tool_choice "${choice.type}" needs tools`, 'tool_choice');
    return;
  }
  const declarations = tools.map((t, i) => declaration(t, `tools[${i}]`));
  out.tools = [{ functionDeclarations: declarations }];
  if (choice) out.toolConfig = toolConfig(choice, declarations);
}

function declaration(t: Tool, at: string): GeminiFunctionDeclaration {
  if (t.type !== undefined && t.type !== 'custom') throw new GatewayError('unsupported_field', `Anthropic server tools ("${t.type}") cannot run on Gemini`, `${at}.type`);
  const out: GeminiFunctionDeclaration = { name: t.name };
  if (t.description) out.description = t.description;
  const schema = toGeminiSchema(t.input_schema ?? { type: 'object' }, `${at}.input_schema`);
  // A function without arguments is declared without parameters: Gemini rejects an empty OBJECT.
  if (!hasNoProperties(schema)) out.parameters = schema;
  return out;
}

function toolConfig(choice: ToolChoice, declared: GeminiFunctionDeclaration[]): GeminiToolConfig {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'any':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      if (!declared.some((d) => d.name === choice.name)) throw new GatewayError('unsupported_field', `tool_choice names "${choice.name}", which tools do not declare`, 'tool_choice.name');
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
    default:
      throw new GatewayError('unsupported_field', `tool_choice "${String((choice as { type: unknown }).type)}" has no Gemini equivalent`, 'tool_choice.type');
  }
}

function generationConfig(req: MessagesRequest, target: GeminiTarget): GeminiGenerationConfig {
  const gen: GeminiGenerationConfig = {};
  if (typeof req.max_tokens === 'number') gen.maxOutputTokens = req.max_tokens;
  if (typeof req.temperature === 'number') gen.temperature = req.temperature;
  if (typeof req.top_p === 'number') gen.topP = req.top_p;
  if (typeof req.top_k === 'number') gen.topK = req.top_k;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) gen.stopSequences = req.stop_sequences;
  const thinking = req.thinking;
  if (thinking && thinking.type !== 'disabled') {
    if (thinking.type === 'enabled') {
      const budget = (thinking as { budget_tokens?: unknown }).budget_tokens;
      gen.thinkingConfig = { ...(typeof budget === 'number' ? { thinkingBudget: budget } : {}), includeThoughts: true };
    } else if (thinking.type === 'adaptive') {
      // The model decides how much to think: Gemini's dynamic budget.
      gen.thinkingConfig = { thinkingBudget: -1, includeThoughts: true };
    } else throw new GatewayError('unsupported_field', `thinking "${thinking.type}" has no Gemini equivalent`, 'thinking.type');
  }
  const cfg = req.output_config;
  if (cfg) {
    for (const key of Object.keys(cfg)) {
      if (key !== 'format' && cfg[key] !== undefined && cfg[key] !== null) throw new GatewayError('unsupported_field', `output_config.${key} has no Gemini equivalent`, `output_config.${key}`);
    }
  }
  const format = cfg?.format ?? req.output_format;
  if (format) {
    const param = cfg?.format ? 'output_config.format' : 'output_format';
    if (format.type !== 'json_schema') throw new GatewayError('unsupported_field', `output format "${String(format.type)}" has no Gemini equivalent`, `${param}.type`);
    gen.responseMimeType = 'application/json';
    if (target.jsonSchemaField === 'responseJsonSchema') gen.responseJsonSchema = forResponseJsonSchema(format.schema, `${param}.schema`);
    else gen.responseSchema = toGeminiSchema(format.schema, `${param}.schema`);
  }
  return gen;
}
