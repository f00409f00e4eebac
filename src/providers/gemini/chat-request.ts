// An OpenAI chat.completions request -> a Gemini GenerateContentRequest. Every field
// the client sends is either expressed, or known to carry no meaning for Gemini, or
// refused with unsupported_field naming it: nothing is dropped without a word.
import type { ChatCompletionRequest, ChatTool, ChatToolChoice } from '../../dialects/openai/types.js';
import type { GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiToolConfig, GenerateContentRequest } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';
import { toContents } from './chat-messages.js';
import { forResponseJsonSchema, hasNoProperties, toGeminiSchema } from './schema.js';
import type { GeminiTarget } from './target.js';

/**
 * Handled below, or OpenAI bookkeeping that asks for no different generation (user,
 * safety_identifier, store, metadata, service_tier, prompt_cache_key), or a permission
 * Gemini cannot be held to and need not be (parallel_tool_calls).
 */
const KNOWN = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'n', 'stop',
  'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'seed', 'presence_penalty', 'frequency_penalty', 'logprobs',
  'top_logprobs', 'reasoning_effort', 'user', 'safety_identifier', 'store', 'metadata', 'service_tier', 'prompt_cache_key',
]);

/** Values that ask for nothing: an empty logit_bias, text-only modalities. */
function asksNothing(key: string, value: unknown): boolean {
  if (key === 'logit_bias') return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  if (key === 'modalities') return Array.isArray(value) && value.every((m) => m === 'text');
  return false;
}

/** OpenAI's reasoning_effort -> Gemini 2.5 thinking budgets (tokens), as Google's compatibility layer maps them. */
const THINKING_BUDGET: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576 };

export interface ChatToGeminiOptions {
  /** Ask for thought summaries (thinkingConfig.includeThoughts): a Responses client asked for reasoning.summary. */
  includeThoughts?: boolean;
}

export function chatToGemini(req: ChatCompletionRequest, target: GeminiTarget, model: string, opts: ChatToGeminiOptions = {}): GenerateContentRequest {
  for (const [key, value] of Object.entries(req)) {
    if (value !== null && value !== undefined && !KNOWN.has(key) && !asksNothing(key, value)) {
      throw new GatewayError('unsupported_field', `${key} has no Gemini counterpart`, key);
    }
  }
  const out: GenerateContentRequest = { ...toContents(req.messages) };
  if (req.tools && req.tools.length > 0) out.tools = [{ functionDeclarations: req.tools.map(declaration) }];
  if (req.tool_choice !== undefined && req.tool_choice !== null) out.toolConfig = toolConfig(req.tool_choice);
  const gen = generationConfig(req, target, model);
  // Thinking turned off (reasoning effort none) has no thoughts to include.
  if (opts.includeThoughts && gen.thinkingConfig?.thinkingBudget !== 0) gen.thinkingConfig = { ...gen.thinkingConfig, includeThoughts: true };
  if (Object.keys(gen).length > 0) out.generationConfig = gen;
  return out;
}

function declaration(tool: ChatTool, i: number): GeminiFunctionDeclaration {
  const at = `tools[${i}]`;
  if (tool?.type !== 'function' || typeof tool.function?.name !== 'string') {
    throw new GatewayError('unsupported_field', `${at}: Gemini takes only function tools`, `${at}.type`);
  }
  const fn = tool.function;
  const out: GeminiFunctionDeclaration = { name: fn.name };
  if (fn.description) out.description = fn.description;
  if (fn.parameters) {
    const schema = toGeminiSchema(fn.parameters, `${at}.function.parameters`);
    // A function without arguments is declared without parameters: Gemini rejects an empty OBJECT.
    if (!hasNoProperties(schema)) out.parameters = schema;
  }
  return out;
}

function toolConfig(choice: ChatToolChoice): GeminiToolConfig {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && choice?.type === 'function' && typeof choice.function?.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  throw new GatewayError('unsupported_field', `tool_choice ${JSON.stringify(choice)} has no Gemini counterpart`, 'tool_choice');
}

function generationConfig(req: ChatCompletionRequest, target: GeminiTarget, model: string): GeminiGenerationConfig {
  const gen: GeminiGenerationConfig = {};
  const set = <K extends keyof GeminiGenerationConfig>(key: K, value: GeminiGenerationConfig[K] | null | undefined) => {
    if (value !== null && value !== undefined) gen[key] = value;
  };
  if (req.stop !== null && req.stop !== undefined) gen.stopSequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  set('maxOutputTokens', req.max_completion_tokens ?? req.max_tokens);
  set('temperature', req.temperature);
  set('topP', req.top_p);
  set('topK', req.top_k as number | undefined);
  set('candidateCount', req.n);
  set('seed', req.seed);
  set('presencePenalty', req.presence_penalty);
  set('frequencyPenalty', req.frequency_penalty);
  if (req.logprobs === true) {
    gen.responseLogprobs = true;
    set('logprobs', req.top_logprobs);
  }
  const fmt = req.response_format;
  if (fmt && fmt.type !== 'text') {
    gen.responseMimeType = 'application/json';
    if (fmt.type === 'json_schema') {
      const schema = fmt.json_schema?.schema;
      if (schema !== undefined) {
        if (target.jsonSchemaField === 'responseJsonSchema') gen.responseJsonSchema = forResponseJsonSchema(schema, 'response_format.json_schema.schema');
        else gen.responseSchema = toGeminiSchema(schema, 'response_format.json_schema.schema');
      }
    } else if (fmt.type !== 'json_object') {
      throw new GatewayError('unsupported_field', `response_format.type ${JSON.stringify((fmt as { type?: unknown }).type)} has no Gemini counterpart`, 'response_format.type');
    }
  }
  if (typeof req.reasoning_effort === 'string') gen.thinkingConfig = thinking(req.reasoning_effort, model);
  return gen;
}

/** Gemini 3 takes a thinking level by name; Gemini 2.5 a token budget. */
function thinking(effort: string, model: string): GeminiGenerationConfig['thinkingConfig'] {
  if (/^gemini-[3-9]/.test(model) && effort !== 'none') return { thinkingLevel: effort };
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) throw new GatewayError('unsupported_field', `reasoning_effort ${JSON.stringify(effort)} is not one of ${Object.keys(THINKING_BUDGET).join(', ')}`, 'reasoning_effort');
  return { thinkingBudget: budget };
}
