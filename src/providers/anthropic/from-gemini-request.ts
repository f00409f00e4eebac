// A Gemini GenerateContentRequest -> an Anthropic Messages request, for @google/genai
// clients reaching Claude (Anthropic's API; Bedrock reuses it before Converse). Every
// field is mapped, dropped for a stated reason, or refused with a 400 unsupported_field
// naming it in Gemini's terms.
//
// Dropped on purpose: thought parts of past model turns (their text is for reading; the
// thinking Claude needs back travels packed in thoughtSignature, see gemini-parts.ts),
// signatures Gemini itself made, an empty safetySettings list, `model` in the body (the
// path names it) and responseModalities of only TEXT. Function calls without an id get
// one from their position (`toolu_g{turn}_{part}`), the same on every turn, so the
// functionResponse that answers them by name finds it again.
import type { ContentBlock, MessageParam, MessagesRequest, TextBlock, Tool } from '../../dialects/anthropic/types.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiToolConfig, GenerateContentRequest } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { readOutputFormat } from '../../dialects/gemini/output-format.js';
import { FUNCTION_CALLING, type FunctionDecl, readFunctionCalling, readFunctionDeclarations, type ToolTarget } from '../../dialects/gemini/tools.js';
import { unpackThinking } from './gemini-parts.js';
import { DEFAULT_MAX_TOKENS } from './openai-request.js';

export interface FromGeminiOptions {
  /** The model to name in the body; undefined for APIs that take it in the path (Bedrock). */
  model?: string;
  stream: boolean;
  /** Whether the provider fetches image and PDF URLs itself (Anthropic does, Converse does not). */
  urls: boolean;
  /**
   * JSON output: 'schema' needs a schema (Claude's constrained decoding); 'any' also takes
   * application/json without one ({type: object}), for callers that force a tool with it
   * (Converse). Either way the schema is left in output_config.format.
   */
  jsonOutput: 'schema' | 'any';
  /** Whether tool_choice none may stand in a conversation with tool calls (Converse cannot). */
  noneWithToolHistory: boolean;
}

export interface FromGeminiResult {
  body: MessagesRequest;
  /** thinkingConfig.includeThoughts: thought parts go to the client. */
  includeThoughts: boolean;
}

const HANDLED = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'model']);
const GENERATION = new Set([
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'candidateCount', 'responseMimeType', 'responseSchema', 'responseJsonSchema',
  'thinkingConfig', 'responseModalities',
]);
const IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const TOOL_ID = /^[A-Za-z0-9_-]{1,64}$/;

const unsupported = (param: string, why: string): never => {
  throw new GatewayError('unsupported_field', `${param} ${why}`, param);
};

const present = (v: unknown): boolean => v !== undefined && v !== null;

function onlyKeys(o: object, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k) || !present((o as Record<string, unknown>)[k]));
}

export function geminiToMessages(body: GenerateContentRequest, opts: FromGeminiOptions): FromGeminiResult {
  for (const key of Object.keys(body)) if (!HANDLED.has(key) && present(body[key])) unsupported(key, "has no equivalent in Anthropic's Messages API");
  if (Array.isArray(body.safetySettings) && body.safetySettings.length > 0) unsupported('safetySettings', "cannot be applied to a Claude model: its safety has no per-category thresholds");
  const calls = new PendingCalls();
  const messages = merge(body.contents.map((c, i) => turn(c, i, calls, opts.urls)).filter((m): m is MessageParam => m !== undefined));
  if (messages.length === 0) unsupported('contents', 'holds no turn a Claude model can answer');
  const out: MessagesRequest = { max_tokens: DEFAULT_MAX_TOKENS, messages };
  if (opts.model !== undefined) out.model = opts.model;
  if (body.systemInstruction) out.system = system(body.systemInstruction);
  let includeThoughts = false;
  if (body.generationConfig) includeThoughts = applyGeneration(out, body.generationConfig, opts);
  if (opts.stream) out.stream = true;
  const tools = readFunctionDeclarations(body.tools, CLAUDE).map(tool);
  // Gemini takes an empty tools list and calls nothing; Anthropic needs tools for a tool_choice.
  if (tools.length > 0) {
    out.tools = tools;
    if (body.toolConfig) applyToolConfig(out, body.toolConfig, calls.any, opts);
  }
  return { body: out, includeThoughts };
}

function system(c: GeminiContent): string | TextBlock[] {
  const texts = c.parts.map((p, j) => {
    if (typeof p.text !== 'string' || !onlyKeys(p, ['text'])) unsupported(`systemInstruction.parts[${j}]`, 'must be text for a Claude model');
    return p.text!;
  });
  return texts.length === 1 ? texts[0]! : texts.map((text) => ({ type: 'text' as const, text }));
}

/** The function calls of past model turns, so each functionResponse gets the tool_use id it answers. */
class PendingCalls {
  private open: { id: string; clientId?: string; name: string }[] = [];
  any = false;

  add(name: string, clientId: string | undefined, at: [number, number]): string {
    this.any = true;
    const id = clientId && TOOL_ID.test(clientId) ? clientId : `toolu_g${at[0]}_${at[1]}`;
    this.open.push({ id, name, ...(clientId ? { clientId } : {}) });
    return id;
  }

  /** By id when the client kept it, else the first open call of that name (Gemini answers by name). */
  answer(name: string, id: string | undefined, at: string): string {
    this.any = true;
    let i = id ? this.open.findIndex((c) => c.clientId === id || c.id === id) : -1;
    if (i === -1) i = this.open.findIndex((c) => c.name === name);
    if (i === -1) unsupported(at, `answers no functionCall "${name}" of an earlier model turn; Claude needs the call it belongs to`);
    return this.open.splice(i, 1)[0]!.id;
  }
}

function turn(c: GeminiContent, i: number, calls: PendingCalls, urls: boolean): MessageParam | undefined {
  const at = `contents[${i}]`;
  const role = c.role ?? 'user';
  const content: ContentBlock[] = [];
  if (role === 'model') {
    c.parts.forEach((p, j) => {
      const where = `${at}.parts[${j}]`;
      // Claude's own thinking, packed by the gateway into the signature it handed out.
      const carried = unpackThinking(p.thoughtSignature);
      if (carried) content.push(...carried);
      if (p.thought === true) return;
      if (p.functionCall) {
        const fc = p.functionCall;
        content.push({ type: 'tool_use', id: calls.add(fc.name, fc.id, [i, j]), name: fc.name, input: fc.args ?? {} });
      } else if (typeof p.text === 'string' && onlyKeys(p, ['text', 'thought', 'thoughtSignature'])) {
        if (p.text !== '') content.push({ type: 'text', text: p.text });
      } else unsupported(where, 'cannot be sent to a Claude model: its turns hold text, thinking and tool calls');
    });
    // A turn of Gemini's thoughts only says nothing Claude can take; an empty message is refused.
    return content.length > 0 ? { role: 'assistant', content } : undefined;
  }
  if (role !== 'user' && role !== 'function') unsupported(`${at}.role`, `"${String(role)}" is not a Gemini role`);
  c.parts.forEach((p, j) => {
    const where = `${at}.parts[${j}]`;
    if (p.functionResponse) content.push(toolResult(p, where, calls));
    // Claude refuses empty text blocks; Gemini takes (and ignores) empty text parts.
    else if (p.thought !== true && p.text !== '') content.push(userBlock(p, where, urls));
  });
  return content.length > 0 ? { role: 'user', content } : undefined;
}

function toolResult(p: GeminiPart, at: string, calls: PendingCalls): ContentBlock {
  const fr = p.functionResponse!;
  if (!onlyKeys(fr, ['id', 'name', 'response'])) unsupported(`${at}.functionResponse`, 'carries fields a Claude tool_result cannot hold (only name, id and response)');
  const response = fr.response ?? {};
  // Google's convention: `output` for a result, `error` for a failure.
  const failed = present(response.error) && !present(response.output);
  return { type: 'tool_result', tool_use_id: calls.answer(fr.name, fr.id, `${at}.functionResponse`), content: JSON.stringify(response), ...(failed ? { is_error: true } : {}) };
}

function userBlock(p: GeminiPart, at: string, urls: boolean): ContentBlock {
  if (typeof p.text === 'string' && onlyKeys(p, ['text', 'thought', 'thoughtSignature'])) return { type: 'text', text: p.text };
  if (p.inlineData) {
    const { mimeType, data } = p.inlineData;
    const mime = (mimeType ?? '').toLowerCase();
    if (IMAGES.has(mime === 'image/jpg' ? 'image/jpeg' : mime)) return { type: 'image', source: { type: 'base64', media_type: mime === 'image/jpg' ? 'image/jpeg' : mime, data } };
    if (mime === 'application/pdf') return { type: 'document', source: { type: 'base64', media_type: mime, data } };
    if (mime === 'text/plain') return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(data, 'base64').toString('utf8') } };
    return unsupported(`${at}.inlineData.mimeType`, `"${mimeType}" cannot be sent to a Claude model (png, jpeg, gif, webp images, PDF and plain text only)`);
  }
  if (p.fileData) {
    const { fileUri, mimeType } = p.fileData;
    const mime = (mimeType ?? '').toLowerCase();
    const remote = /^https?:\/\//i.test(fileUri) && !/^https:\/\/generativelanguage\.googleapis\.com\//i.test(fileUri);
    if (!urls) unsupported(`${at}.fileData`, 'cannot be fetched by this provider; send the bytes as inlineData');
    if (remote && (mime.startsWith('image/') || (!mime && /\.(png|jpe?g|gif|webp)$/i.test(fileUri.split(/[?#]/)[0]!)))) return { type: 'image', source: { type: 'url', url: fileUri } };
    if (remote && (mime === 'application/pdf' || (!mime && /\.pdf$/i.test(fileUri.split(/[?#]/)[0]!)))) return { type: 'document', source: { type: 'url', url: fileUri } };
    return unsupported(`${at}.fileData`, 'Claude fetches only http(s) image and PDF URLs; send other files as inlineData');
  }
  return unsupported(at, `(${Object.keys(p).join(', ')}) has no Claude content block`);
}

/** Consecutive turns of one role become one message (Converse insists on alternation), tool results first. */
function merge(turns: MessageParam[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const t of turns) {
    const prev = out[out.length - 1];
    if (prev && prev.role === t.role) (prev.content as ContentBlock[]).push(...(t.content as ContentBlock[]));
    else out.push({ role: t.role, content: [...(t.content as ContentBlock[])] });
  }
  for (const m of out) {
    if (m.role !== 'user') continue;
    const blocks = m.content as ContentBlock[];
    m.content = [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
  }
  return out;
}

function applyGeneration(out: MessagesRequest, g: GeminiGenerationConfig, opts: FromGeminiOptions): boolean {
  const p = 'generationConfig';
  for (const key of Object.keys(g)) if (!GENERATION.has(key) && present(g[key])) unsupported(`${p}.${key}`, "has no equivalent in Anthropic's Messages API");
  if (present(g.temperature)) out.temperature = g.temperature;
  if (present(g.topP)) out.top_p = g.topP;
  if (present(g.topK)) out.top_k = g.topK;
  if (present(g.maxOutputTokens)) out.max_tokens = g.maxOutputTokens!;
  if (g.stopSequences && g.stopSequences.length > 0) out.stop_sequences = g.stopSequences;
  if (present(g.candidateCount) && g.candidateCount !== 1) unsupported(`${p}.candidateCount`, 'can only be 1: Claude returns one candidate per request');
  const modalities = g.responseModalities as unknown;
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'TEXT')) unsupported(`${p}.responseModalities`, 'can only be TEXT for a Claude model');
  applyResponseFormat(out, g, opts);
  return g.thinkingConfig ? applyThinking(out, g.thinkingConfig as Record<string, unknown>, present(g.maxOutputTokens)) : false;
}

function applyResponseFormat(out: MessagesRequest, g: GeminiGenerationConfig, opts: FromGeminiOptions): void {
  const asked = readOutputFormat(g, 'Claude output format');
  if (asked.kind === 'text') return;
  if (asked.kind === 'json' && opts.jsonOutput === 'schema') {
    unsupported('generationConfig.responseMimeType', 'application/json needs a responseSchema or responseJsonSchema: Claude constrains output to a schema only');
  }
  out.output_config = { format: { type: 'json_schema', schema: asked.kind === 'schema' ? asked.schema : { type: 'object' } } };
}

/**
 * thinkingBudget > 0 is Claude's extended thinking with that budget; 0 (off) and -1 (the
 * model decides, which Claude does by not thinking unless asked) send none. Claude wants
 * max_tokens above the budget: without a maxOutputTokens the default is added on top.
 */
function applyThinking(out: MessagesRequest, t: Record<string, unknown>, maxGiven: boolean): boolean {
  const p = 'generationConfig.thinkingConfig';
  for (const key of Object.keys(t)) if (!['thinkingBudget', 'thinkingLevel', 'includeThoughts'].includes(key) && present(t[key])) unsupported(`${p}.${key}`, 'has no Claude equivalent');
  if (present(t.thinkingLevel) && t.thinkingLevel !== 'THINKING_LEVEL_UNSPECIFIED') unsupported(`${p}.thinkingLevel`, 'has no Claude equivalent; give a thinkingBudget in tokens');
  const budget = t.thinkingBudget;
  if (typeof budget === 'number' && budget > 0) {
    out.thinking = { type: 'enabled', budget_tokens: budget };
    if (!maxGiven) out.max_tokens = budget + DEFAULT_MAX_TOKENS;
    return t.includeThoughts === true;
  }
  return false;
}

const CLAUDE: ToolTarget = { model: 'a Claude model', name: 'Claude', tool: 'Claude tool' };

const tool = (d: FunctionDecl): Tool => ({
  name: d.name,
  ...(d.description !== undefined ? { description: d.description } : {}),
  input_schema: d.schema ?? { type: 'object', properties: {} },
});

function applyToolConfig(out: MessagesRequest, tc: GeminiToolConfig, toolHistory: boolean, opts: FromGeminiOptions): void {
  const choice = readFunctionCalling(tc, out.tools!.map((t) => t.name), CLAUDE);
  if (!choice) return;
  if (choice.kind === 'none' && !opts.noneWithToolHistory && toolHistory) {
    unsupported(`${FUNCTION_CALLING}.mode`, 'NONE cannot be honoured by this provider in a conversation that already holds function calls');
  }
  if (choice.kind === 'one') out.tool_choice = { type: 'tool', name: choice.name };
  else if (choice.kind === 'any') {
    if (choice.names.length > 0) out.tools = out.tools!.filter((t) => choice.names.includes(t.name));
    out.tool_choice = { type: 'any' };
  } else out.tool_choice = { type: choice.kind };
}
