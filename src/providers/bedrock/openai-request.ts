// OpenAI Chat Completions request -> Bedrock Converse request. What Converse cannot
// express is a 400 unsupported_field naming the field, never a silent drop:
// image URLs (Converse takes bytes only), n > 1, logprobs, penalties, seed, audio.
// tool_choice "none" has no Converse equivalent: the tools are left out, which is
// only possible while the conversation holds no tool calls (Bedrock then demands
// toolConfig). JSON output (response_format json_object / json_schema) uses the
// documented tool trick: one tool whose input schema is the wanted JSON, forced
// with toolChoice, and its input returned to the client as the message content.
// reasoning_effort becomes Claude's thinking budget (additionalModelRequestFields,
// as for Anthropic clients); other Converse models have no such field here: a 400.
// A system or user part's cache_control (the extension Anthropic-compatible OpenAI
// clients send) becomes a cachePoint after it, as Anthropic clients' markers do.
import { DEFAULT_MAX_TOKENS } from '../anthropic/openai-request.js';
import { thinkingFromEffort } from '../anthropic/reasoning-effort.js';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolChoice } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import type { ContentBlock, ConverseMessage, ConverseRequest, SystemBlock, ToolChoice, ToolResultContent, ToolSpec } from './converse-types.js';
import { cachePoint, imageFromUrl, isClaudeModel } from './shared.js';

export interface ConverseBuild {
  body: ConverseRequest;
  /** Set when response_format asked for JSON: the tool whose input is the answer. */
  jsonTool?: string;
}

// Fields with no Converse counterpart; harmless values (null, false, defaults) pass.
const UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  n: (v) => v !== 1,
  logprobs: (v) => v !== false,
  top_logprobs: () => true,
  logit_bias: () => true,
  seed: () => true,
  presence_penalty: (v) => v !== 0,
  frequency_penalty: (v) => v !== 0,
  audio: () => true,
  modalities: (v) => !(Array.isArray(v) && v.length === 1 && v[0] === 'text'),
  prediction: () => true,
  web_search_options: () => true,
  store: (v) => v !== false,
  service_tier: (v) => v !== 'auto' && v !== 'default',
  parallel_tool_calls: (v) => v !== true,
  functions: () => true,
  function_call: () => true,
};

export const JSON_TOOL_DEFAULT = 'json_response';

/** @param modelId the Bedrock model asked for: reasoning_effort maps only for Claude. */
export function converseFromOpenAI(req: ChatCompletionRequest, modelId = ''): ConverseBuild {
  for (const [field, unsupported] of Object.entries(UNSUPPORTED)) {
    const v = req[field];
    if (v !== undefined && v !== null && unsupported(v)) {
      throw new GatewayError('unsupported_field', `Bedrock Converse has no equivalent of ${field}=${JSON.stringify(v)}`, field);
    }
  }
  if (!Array.isArray(req.messages)) throw new GatewayError('unsupported_field', 'messages must be an array', 'messages');
  const system: SystemBlock[] = [];
  const messages: ConverseMessage[] = [];
  let usesTools = false;
  req.messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (m.role === 'system' || m.role === 'developer') {
      systemBlocks(m.content, `${at}.content`, system);
      return;
    }
    if (m.name !== undefined) throw new GatewayError('unsupported_field', 'Bedrock Converse messages carry no participant name', `${at}.name`);
    let role: ConverseMessage['role'];
    let blocks: ContentBlock[];
    if (m.role === 'user') {
      role = 'user';
      blocks = userBlocks(m.content, `${at}.content`);
    } else if (m.role === 'assistant') {
      role = 'assistant';
      blocks = assistantBlocks(m, at);
      usesTools ||= (m.tool_calls?.length ?? 0) > 0;
    } else if (m.role === 'tool') {
      role = 'user';
      usesTools = true;
      const content: ToolResultContent[] = textsOf(m.content, `${at}.content`).map((text) => ({ text }));
      blocks = [{ toolResult: { toolUseId: String(m.tool_call_id ?? ''), content } }];
    } else {
      throw new GatewayError('unsupported_field', `Bedrock Converse has no ${String(m.role)} role`, `${at}.role`);
    }
    // Converse wants user and assistant turns to alternate: tool results and the
    // user text that follows them travel in one user message.
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  });

  const body: ConverseRequest = { messages };
  if (system.length > 0) body.system = system;
  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {};
  let maxTokens = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  if (req.reasoning_effort !== undefined && req.reasoning_effort !== null) {
    if (!isClaudeModel(modelId)) {
      throw new GatewayError('unsupported_field', `reasoning_effort maps to a thinking budget for Claude models on Bedrock only, not ${modelId}`, 'reasoning_effort');
    }
    const last = messages.at(-1);
    const before = messages.at(-2);
    const inToolLoop = last?.role === 'user' && last.content.some((c) => 'toolResult' in c) && before?.role === 'assistant' && before.content.some((c) => 'toolUse' in c);
    const plan = thinkingFromEffort(req.reasoning_effort, maxTokens, DEFAULT_MAX_TOKENS, inToolLoop);
    if (plan.thinking) {
      if (req.response_format && req.response_format.type !== 'text') {
        throw new GatewayError('unsupported_field', 'Bedrock Converse expresses JSON output through a forced tool, which Claude cannot use while thinking: reasoning_effort cannot be combined with response_format', 'reasoning_effort');
      }
      body.additionalModelRequestFields = { thinking: plan.thinking };
    }
    maxTokens = plan.maxTokens;
  }
  if (typeof maxTokens === 'number') inference.maxTokens = maxTokens;
  if (typeof req.temperature === 'number') inference.temperature = req.temperature;
  if (typeof req.top_p === 'number') inference.topP = req.top_p;
  if (req.stop !== undefined && req.stop !== null) inference.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  const metadata: Record<string, string> = {};
  if (req.metadata && typeof req.metadata === 'object') Object.assign(metadata, req.metadata);
  if (typeof req.user === 'string') metadata.user = req.user;
  if (Object.keys(metadata).length > 0) body.requestMetadata = metadata;

  const jsonTool = applyResponseFormat(req, body);
  if (!jsonTool) applyTools(req.tools, req.tool_choice, usesTools, body);
  return jsonTool ? { body, jsonTool } : { body };
}

function textsOf(content: ChatMessage['content'], at: string): string[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [content];
  return content.map((p, j) => {
    if (p.type === 'text') return p.text;
    throw new GatewayError('unsupported_field', `only text parts are allowed here, not ${p.type}`, `${at}[${j}]`);
  });
}

/** System text, each part marked with cache_control followed by its cache point. */
function systemBlocks(content: ChatMessage['content'], at: string, out: SystemBlock[]): void {
  if (typeof content !== 'object' || content === null) {
    for (const text of textsOf(content, at)) out.push({ text });
    return;
  }
  content.forEach((p, j) => {
    if (p.type !== 'text') throw new GatewayError('unsupported_field', `only text parts are allowed here, not ${p.type}`, `${at}[${j}]`);
    out.push({ text: p.text });
    const point = cachePoint(p.cache_control, `${at}[${j}]`);
    if (point) out.push(point);
  });
}

function userBlocks(content: ChatMessage['content'], at: string): ContentBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.flatMap((p: ChatContentPart, j): ContentBlock[] => {
    let block: ContentBlock;
    if (p.type === 'text') block = { text: p.text };
    else if (p.type === 'image_url') block = { image: imageFromUrl(p.image_url?.url ?? '', `${at}[${j}].image_url.url`) };
    else throw new GatewayError('unsupported_field', `Bedrock Converse takes text and image parts, not ${p.type}`, `${at}[${j}]`);
    // A part marked with cache_control: the cache point after it, as for Anthropic clients.
    const point = cachePoint(p.cache_control, `${at}[${j}]`);
    return point ? [block, point] : [block];
  });
}

function assistantBlocks(m: ChatMessage, at: string): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  // Bedrock rejects blank text blocks; an empty content beside tool calls means "no text".
  for (const text of textsOf(m.content, `${at}.content`)) if (text !== '') blocks.push({ text });
  (m.tool_calls ?? []).forEach((tc, k) => {
    const param = `${at}.tool_calls[${k}].function.arguments`;
    let input: unknown;
    try {
      input = tc.function.arguments ? JSON.parse(tc.function.arguments) : {};
    } catch {
      throw new GatewayError('invalid_json', 'tool call arguments must be a JSON object for Bedrock', param);
    }
    blocks.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input } });
  });
  return blocks;
}

function toolSpec(t: ChatTool, at: string): ToolSpec {
  if (t.type !== 'function' || !t.function) throw new GatewayError('unsupported_field', `Bedrock Converse takes function tools only, not ${String(t.type)}`, at);
  const spec: ToolSpec['toolSpec'] = { name: t.function.name, inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } } };
  if (t.function.description) spec.description = t.function.description;
  return { toolSpec: spec };
}

function applyTools(tools: ChatTool[] | undefined, choice: ChatToolChoice | undefined, usesTools: boolean, body: ConverseRequest): void {
  if (!tools || tools.length === 0) {
    if (choice !== undefined && choice !== 'none' && choice !== 'auto') throw new GatewayError('unsupported_field', 'tool_choice needs tools', 'tool_choice');
    return;
  }
  if (choice === 'none') {
    if (usesTools) {
      throw new GatewayError('unsupported_field', 'Bedrock Converse cannot forbid tool use in a conversation that already holds tool calls (tool_choice "none")', 'tool_choice');
    }
    return;
  }
  let toolChoice: ToolChoice | undefined;
  if (choice === 'required') toolChoice = { any: {} };
  else if (choice === 'auto') toolChoice = { auto: {} };
  else if (choice && typeof choice === 'object') {
    if (choice.type !== 'function' || !choice.function?.name) throw new GatewayError('unsupported_field', 'tool_choice must name a function', 'tool_choice');
    toolChoice = { tool: { name: choice.function.name } };
  }
  body.toolConfig = { tools: tools.map((t, i) => toolSpec(t, `tools[${i}]`)) };
  if (toolChoice) body.toolConfig.toolChoice = toolChoice;
}

/** response_format json_object / json_schema -> a forced tool; returns its name. */
function applyResponseFormat(req: ChatCompletionRequest, body: ConverseRequest): string | undefined {
  const rf = req.response_format;
  if (!rf || rf.type === 'text') return undefined;
  if (req.tools && req.tools.length > 0) {
    throw new GatewayError('unsupported_field', 'Bedrock Converse expresses JSON output through a tool, so response_format cannot be combined with tools', 'response_format');
  }
  let name = JSON_TOOL_DEFAULT;
  let description = 'Respond with the JSON document the user asked for, as this tool\'s input.';
  let schema: Record<string, unknown> = { type: 'object' };
  if (rf.type === 'json_schema') {
    if (!rf.json_schema?.schema) throw new GatewayError('unsupported_field', 'response_format.json_schema needs a schema', 'response_format.json_schema.schema');
    name = /^[a-zA-Z0-9_-]{1,64}$/.test(rf.json_schema.name ?? '') ? rf.json_schema.name : JSON_TOOL_DEFAULT;
    schema = rf.json_schema.schema;
    if (rf.json_schema.description) description = rf.json_schema.description;
  } else if (rf.type !== 'json_object') {
    throw new GatewayError('unsupported_field', `unknown response_format type ${String((rf as { type: unknown }).type)}`, 'response_format.type');
  }
  body.toolConfig = { tools: [{ toolSpec: { name, description, inputSchema: { json: schema } } }], toolChoice: { tool: { name } } };
  return name;
}
