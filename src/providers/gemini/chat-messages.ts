// OpenAI chat messages -> Gemini contents + systemInstruction. Gemini has two roles
// (user, model): system and developer messages become the system instruction, tool
// results become functionResponse parts of a user turn, and consecutive turns of one
// role merge, because Gemini expects parallel function responses in one turn. A part's
// `cache_control` is dropped on purpose, as for Anthropic clients: a caching hint, and
// Gemini caches implicitly.
import type { ChatContentPart, ChatMessage, ChatToolCall } from '../../dialects/openai/types.js';
import type { GeminiContent, GeminiPart } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { contentPart } from './media.js';

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
}

/** Where Google's own OpenAI-compatible API puts a tool call's thought signature; read back the same way. */
interface ToolCallWithSignature extends ChatToolCall {
  extra_content?: { google?: { thought_signature?: unknown } };
}

export function toContents(messages: unknown): GeminiConversation {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new GatewayError('unsupported_field', 'messages must be a non-empty array', 'messages');
  }
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  (messages as ChatMessage[]).forEach((msg, i) => {
    const at = `messages[${i}]`;
    // `name` only labels participants; Gemini has no such field and the model is told nothing by it.
    switch (msg?.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(msg.content, at));
        return;
      case 'user':
        push('user', userParts(msg.content, at));
        return;
      case 'assistant':
        push('model', [...textParts(msg.content, at), ...callParts(msg.tool_calls, at, toolNames)]);
        return;
      case 'tool': {
        const name = typeof msg.tool_call_id === 'string' ? toolNames.get(msg.tool_call_id) : undefined;
        if (!name) throw new GatewayError('unsupported_field', `${at}.tool_call_id does not name a tool call of an earlier assistant message; Gemini needs the function's name`, `${at}.tool_call_id`);
        push('user', [{ functionResponse: { name, response: responseObject(msg.content, at) } }]);
        return;
      }
      case 'function': {
        if (typeof msg.name !== 'string') throw new GatewayError('unsupported_field', `${at}.name is required for a function message`, `${at}.name`);
        push('user', [{ functionResponse: { name: msg.name, response: responseObject(msg.content, at) } }]);
        return;
      }
      default:
        throw new GatewayError('unsupported_field', `${at}.role ${JSON.stringify(msg?.role)} has no Gemini counterpart`, `${at}.role`);
    }
  });
  if (contents.length === 0) throw new GatewayError('unsupported_field', 'messages hold only system prompts; Gemini needs at least one user turn', 'messages');
  return { contents, ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}) };
}

function userParts(content: ChatMessage['content'], at: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw new GatewayError('unsupported_field', `${at}.content must be a string or an array of parts`, `${at}.content`);
  return content.map((p, j) => contentPart(p, `${at}.content[${j}]`));
}

/** Text-only content (system, assistant): media there has no Gemini counterpart. */
function textParts(content: ChatMessage['content'], at: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw new GatewayError('unsupported_field', `${at}.content must be a string or an array of parts`, `${at}.content`);
  return content.map((p: ChatContentPart, j) => {
    if (p.type === 'text') return { text: p.text };
    if (p.type === 'refusal') return { text: p.refusal };
    throw new GatewayError('unsupported_field', `${at}.content[${j}]: Gemini takes only text in system and assistant messages`, `${at}.content[${j}].type`);
  });
}

function callParts(calls: ChatToolCall[] | undefined, at: string, names: Map<string, string>): GeminiPart[] {
  if (!Array.isArray(calls)) return [];
  return calls.map((call: ToolCallWithSignature, j) => {
    const p = `${at}.tool_calls[${j}]`;
    const name = call?.function?.name;
    if (typeof name !== 'string') throw new GatewayError('unsupported_field', `${p}.function.name is required`, `${p}.function.name`);
    if (typeof call.id === 'string') names.set(call.id, name);
    const part: GeminiPart = { functionCall: { name, args: parseArgs(call.function.arguments, `${p}.function.arguments`) } };
    const sig = call.extra_content?.google?.thought_signature;
    if (typeof sig === 'string') part.thoughtSignature = sig;
    return part;
  });
}

function parseArgs(args: unknown, param: string): Record<string, unknown> {
  if (args === undefined || args === null || args === '') return {};
  let v: unknown = args;
  if (typeof args === 'string') {
    try {
      v = JSON.parse(args);
    } catch {
      throw new GatewayError('unsupported_field', `${param} is not valid JSON; Gemini needs the call's arguments as an object`, param);
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('unsupported_field', `${param} must be a JSON object`, param);
  return v as Record<string, unknown>;
}

/** Gemini wants a JSON object; a tool's text result goes under `output` as Google's docs suggest. */
function responseObject(content: ChatMessage['content'], at: string): Record<string, unknown> {
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((p, j) => {
            if (p.type === 'text') return p.text;
            throw new GatewayError('unsupported_field', `${at}.content[${j}]: Gemini function responses take only text`, `${at}.content[${j}].type`);
          }).join('')
        : '';
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { output: text };
}
