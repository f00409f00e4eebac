// A Gemini GenerateContentRequest -> an OpenAI Chat Completions request, for
// @google/genai clients reaching OpenAI models (or Azure OpenAI deployments). Every
// field is mapped, or dropped for a stated reason, or refused with a 400
// unsupported_field naming it: nothing changes the answer without a word.
//
// Dropped on purpose: thought parts and thought signatures of past model turns
// (Gemini's own reasoning, which Chat Completions has no field to take back, as the
// Anthropic translator drops thinking blocks), an empty safetySettings list, `model`
// in the body (the path names the model) and responseModalities of only TEXT.
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiToolConfig, GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolCall } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ChatTarget } from './chat-target.js';
import { readOutputFormat } from '../../dialects/gemini/output-format.js';
import { type FunctionDecl, readFunctionCalling, readFunctionDeclarations, type ToolTarget } from '../../dialects/gemini/tools.js';
import { mediaPart } from './from-gemini-media.js';

export interface FromGeminiOptions {
  model: string;
  stream: boolean;
  maxTokensField: ChatTarget['maxTokensField'];
}

const HANDLED = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'model']);
const GENERATION = new Set([
  'temperature', 'topP', 'maxOutputTokens', 'stopSequences', 'candidateCount', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig', 'responseModalities',
]);

const unsupported = (param: string, why: string): never => {
  throw new GatewayError('unsupported_field', `${param} ${why}`, param);
};

const present = (v: unknown): boolean => v !== undefined && v !== null;

export function geminiToChat(body: GenerateContentRequest, opts: FromGeminiOptions): ChatCompletionRequest {
  for (const key of Object.keys(body)) if (!HANDLED.has(key) && present(body[key])) unsupported(key, "has no equivalent in OpenAI's Chat Completions API");
  if (Array.isArray(body.safetySettings) && body.safetySettings.length > 0) unsupported('safetySettings', 'cannot be applied to an OpenAI model: its moderation has no per-category thresholds');
  const messages: ChatMessage[] = [];
  if (body.systemInstruction) messages.push(systemMessage(body.systemInstruction));
  const calls = new PendingCalls();
  body.contents.forEach((c, i) => messages.push(...turn(c, `contents[${i}]`, calls)));
  if (!messages.some((m) => m.role !== 'system')) unsupported('contents', 'holds no turn an OpenAI model can answer');
  const out: ChatCompletionRequest = { model: opts.model, messages };
  if (opts.stream) {
    out.stream = true;
    // Every streamed token is counted: OpenAI reports usage in streams only when asked.
    out.stream_options = { include_usage: true };
  }
  if (body.generationConfig) applyGeneration(out, body.generationConfig, opts);
  const tools = readFunctionDeclarations(body.tools, OPENAI).map(tool);
  // OpenAI refuses an empty tools list and a tool_choice without tools; Gemini takes both and calls nothing.
  if (tools.length > 0) {
    out.tools = tools;
    if (body.toolConfig) applyToolConfig(out, body.toolConfig);
  }
  return out;
}

function systemMessage(c: GeminiContent): ChatMessage {
  const texts = c.parts.map((p, j) => {
    if (typeof p.text !== 'string' || !onlyKeys(p, ['text'])) unsupported(`systemInstruction.parts[${j}]`, 'must be text for an OpenAI model');
    return p.text!;
  });
  return { role: 'system', content: texts.length === 1 ? texts[0]! : texts.map((text) => ({ type: 'text' as const, text })) };
}

/** Function calls of the last model turn, so each functionResponse gets the tool_call_id OpenAI wants. */
class PendingCalls {
  private open: { id: string; name: string }[] = [];
  private n = 0;

  add(name: string, id: string | undefined): string {
    const callId = id || `call_${this.n++}`;
    this.open.push({ id: callId, name });
    return callId;
  }

  /** By id when the client kept it, else the first open call of that name (Gemini answers by name). */
  answer(name: string, id: string | undefined, at: string): string {
    let i = id ? this.open.findIndex((c) => c.id === id) : -1;
    if (i === -1) i = this.open.findIndex((c) => c.name === name);
    if (i === -1) unsupported(at, `answers no functionCall "${name}" of an earlier model turn; OpenAI needs the call it belongs to`);
    return this.open.splice(i, 1)[0]!.id;
  }
}

/** One Gemini turn -> OpenAI messages: a user turn's function responses become tool messages, first. */
function turn(c: GeminiContent, at: string, calls: PendingCalls): ChatMessage[] {
  const role = c.role ?? 'user';
  if (role === 'model') return modelTurn(c.parts, at, calls);
  if (role !== 'user' && role !== 'function') unsupported(`${at}.role`, `"${String(role)}" is not a Gemini role`);
  const out: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  c.parts.forEach((p, j) => {
    const where = `${at}.parts[${j}]`;
    if (p.functionResponse) {
      const fr = p.functionResponse;
      if (!onlyKeys(fr, ['id', 'name', 'response'])) unsupported(`${where}.functionResponse`, 'carries fields an OpenAI tool message cannot hold (only name, id and response)');
      out.push({ role: 'tool', tool_call_id: calls.answer(fr.name, fr.id, `${where}.functionResponse`), content: JSON.stringify(fr.response ?? {}) });
    } else if (p.thought !== true) {
      parts.push(userPart(p, where));
    }
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts.length === 1 && parts[0]!.type === 'text' ? parts[0]!.text : parts });
  return out;
}

function userPart(p: GeminiPart, at: string): ChatContentPart {
  if (typeof p.text === 'string' && onlyKeys(p, ['text', 'thought', 'thoughtSignature'])) return { type: 'text', text: p.text };
  if (p.inlineData || p.fileData) return mediaPart(p, at);
  return unsupported(at, `(${Object.keys(p).join(', ')}) has no OpenAI content part`);
}

function modelTurn(parts: GeminiPart[], at: string, calls: PendingCalls): ChatMessage[] {
  let text: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  parts.forEach((p, j) => {
    const where = `${at}.parts[${j}]`;
    if (p.thought === true) return;
    if (p.functionCall) {
      const fc = p.functionCall;
      toolCalls.push({ id: calls.add(fc.name, fc.id), type: 'function', function: { name: fc.name, arguments: JSON.stringify(fc.args ?? {}) } });
    } else if (typeof p.text === 'string' && onlyKeys(p, ['text', 'thought', 'thoughtSignature'])) {
      text = (text ?? '') + p.text;
    } else {
      unsupported(where, 'cannot be sent to an OpenAI model: assistant messages hold only text and tool calls');
    }
  });
  // A turn of thoughts only says nothing OpenAI can take, and an empty assistant message is refused.
  if (text === null && toolCalls.length === 0) return [];
  const msg: ChatMessage = { role: 'assistant', content: text };
  if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  return [msg];
}

function applyGeneration(out: ChatCompletionRequest, g: GeminiGenerationConfig, opts: FromGeminiOptions): void {
  const p = 'generationConfig';
  for (const key of Object.keys(g)) if (!GENERATION.has(key) && present(g[key])) unsupported(`${p}.${key}`, "has no equivalent in OpenAI's Chat Completions API");
  if (present(g.temperature)) out.temperature = g.temperature;
  if (present(g.topP)) out.top_p = g.topP;
  if (present(g.maxOutputTokens)) out[opts.maxTokensField] = g.maxOutputTokens;
  if (g.stopSequences && g.stopSequences.length > 0) out.stop = g.stopSequences;
  if (present(g.seed)) out.seed = g.seed;
  if (present(g.presencePenalty)) out.presence_penalty = g.presencePenalty;
  if (present(g.frequencyPenalty)) out.frequency_penalty = g.frequencyPenalty;
  if (present(g.candidateCount)) {
    // Several candidates would need one accumulated stream per choice; one is all the gateway translates.
    if (g.candidateCount !== 1) unsupported(`${p}.candidateCount`, 'can only be 1 for an OpenAI model through the gateway');
    out.n = 1;
  }
  const modalities = g.responseModalities as unknown;
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'TEXT')) unsupported(`${p}.responseModalities`, 'can only be TEXT for an OpenAI chat model');
  applyResponseFormat(out, g);
  if (g.thinkingConfig) applyThinking(out, g.thinkingConfig as Record<string, unknown>);
}

function applyResponseFormat(out: ChatCompletionRequest, g: GeminiGenerationConfig): void {
  const asked = readOutputFormat(g, 'OpenAI response_format');
  if (asked.kind === 'json') out.response_format = { type: 'json_object' };
  // Not strict: OpenAI's strict mode needs every property required.
  else if (asked.kind === 'schema') out.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: asked.schema } };
}

// Gemini 3 levels share OpenAI's effort names; Gemini 2.5 budgets map by size, with the thresholds the
// Anthropic translator uses. A budget of 0 (thinking off) and -1 (the model decides) send no effort, as
// disabled thinking does from Anthropic: models that do not reason refuse reasoning_effort outright.
function applyThinking(out: ChatCompletionRequest, t: Record<string, unknown>): void {
  const p = 'generationConfig.thinkingConfig';
  for (const key of Object.keys(t)) if (!['thinkingBudget', 'thinkingLevel', 'includeThoughts'].includes(key)) unsupported(`${p}.${key}`, 'has no OpenAI equivalent');
  if (t.includeThoughts === true) unsupported(`${p}.includeThoughts`, "cannot be honoured: Chat Completions returns no thought summaries");
  if (typeof t.thinkingLevel === 'string' && t.thinkingLevel !== 'THINKING_LEVEL_UNSPECIFIED') out.reasoning_effort = t.thinkingLevel.toLowerCase();
  else if (typeof t.thinkingBudget === 'number' && t.thinkingBudget > 0) {
    const b = t.thinkingBudget;
    out.reasoning_effort = b < 4096 ? 'low' : b < 16384 ? 'medium' : 'high';
  }
}

const OPENAI: ToolTarget = { model: 'an OpenAI model', name: 'OpenAI', tool: 'OpenAI function' };

function tool(d: FunctionDecl): ChatTool {
  const fn: ChatTool['function'] = { name: d.name };
  if (d.description !== undefined) fn.description = d.description;
  if (d.schema !== undefined) fn.parameters = d.schema;
  return { type: 'function', function: fn };
}

function applyToolConfig(out: ChatCompletionRequest, tc: GeminiToolConfig): void {
  const choice = readFunctionCalling(tc, out.tools!.map((t) => t.function.name), OPENAI);
  if (!choice) return;
  if (choice.kind === 'one') out.tool_choice = { type: 'function', function: { name: choice.name } };
  else if (choice.kind === 'any') {
    if (choice.names.length > 0) out.tools = out.tools!.filter((t) => choice.names.includes(t.function.name));
    out.tool_choice = 'required';
  } else out.tool_choice = choice.kind;
}

function onlyKeys(o: object, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k) || !present((o as Record<string, unknown>)[k]));
}
