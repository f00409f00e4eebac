// An OpenAI Chat Completions request -> an Anthropic Messages request body.
// Every OpenAI field is either mapped, dropped for a stated reason, or refused
// with a 400 unsupported_field naming it: a client must never get a different
// generation than it asked for without knowing.
//
// Structured output: `response_format: json_schema` becomes Anthropic's
// structured outputs (`output_config.format`, constrained decoding, the answer
// arrives as JSON text like OpenAI's). `json_object` has no schema to constrain
// with and is refused. `reasoning_effort` becomes a thinking budget
// (reasoning-effort.ts). Vertex AI/Bedrock reuse this with their own body extras.
import type { MessageParam, MessagesRequest, Tool, ToolChoice } from '../../dialects/anthropic/types.js';
import type { ChatCompletionRequest, ChatTool, ChatToolChoice } from '../../dialects/openai/types.js';
import { GatewayError } from '../../errors.js';
import { toAnthropicMessages } from './openai-messages.js';
import { thinkingFromEffort } from './reasoning-effort.js';

/** Anthropic requires max_tokens; what the gateway asks for when the OpenAI client named none. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface ToAnthropicOptions {
  /** The model to request (a backend or route pin); defaults to the body's. */
  model?: string;
  /** False for APIs that name the model in the path (Vertex AI, Bedrock). Default true. */
  includeModel?: boolean;
  /** Fields added to the body as they are (Vertex: `{ anthropic_version: 'vertex-2023-10-16' }`). */
  extra?: Record<string, unknown>;
  /** Default max_tokens; DEFAULT_MAX_TOKENS unless given. */
  defaultMaxTokens?: number;
  /** Whether json_schema response formats may use `output_config.format` (false: refused with a 400). */
  structuredOutputs?: boolean;
}

// Fields read below, plus those that carry no meaning for another provider.
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'stop',
  'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'user', 'safety_identifier', 'service_tier',
  'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'logit_bias', 'store', 'modalities',
  // Bookkeeping for OpenAI's stored completions and its prompt-cache routing: nothing to generate differently.
  'metadata', 'prompt_cache_key', 'reasoning_effort',
]);

export function toAnthropicRequest(body: ChatCompletionRequest, opts: ToAnthropicOptions = {}): MessagesRequest {
  for (const key of Object.keys(body)) {
    if (!HANDLED.has(key) && body[key] !== undefined && body[key] !== null) {
      throw new GatewayError('unsupported_field', `"${key}" has no equivalent in Anthropic's Messages API`, key);
    }
  }
  refuseUnless(body.n === undefined || body.n === null || body.n === 1, 'n', 'Anthropic models return one choice per request; n must be 1');
  refuseUnless(!body.presence_penalty, 'presence_penalty', 'Anthropic models have no presence penalty');
  refuseUnless(!body.frequency_penalty, 'frequency_penalty', 'Anthropic models have no frequency penalty');
  refuseUnless(!body.logprobs && !body.top_logprobs, body.logprobs ? 'logprobs' : 'top_logprobs', 'Anthropic models do not return log probabilities');
  refuseUnless(!body.logit_bias || Object.keys(body.logit_bias as object).length === 0, 'logit_bias', 'Anthropic models take no logit bias');
  refuseUnless(body.store !== true, 'store', 'stored completions are an OpenAI feature');
  const modalities = body.modalities as unknown;
  refuseUnless(modalities === undefined || modalities === null || (Array.isArray(modalities) && modalities.every((m) => m === 'text')), 'modalities', 'Anthropic models answer in text only');
  if (!Array.isArray(body.messages)) throw new GatewayError('unsupported_field', 'messages must be an array', 'messages');

  const out: MessagesRequest = { max_tokens: 0, messages: [] };
  if (opts.includeModel !== false) {
    const model = opts.model ?? body.model;
    if (typeof model !== 'string' || model === '') throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
    out.model = model;
  }
  const conv = toAnthropicMessages(body.messages);
  if (conv.system !== undefined) out.system = conv.system;
  out.messages = conv.messages;
  const answerRoom = opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const plan = thinkingFromEffort(body.reasoning_effort, body.max_completion_tokens ?? body.max_tokens ?? undefined, answerRoom, endsInToolResults(out.messages));
  out.max_tokens = plan.maxTokens ?? answerRoom;
  if (plan.thinking) out.thinking = plan.thinking;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  const stop = typeof body.stop === 'string' ? [body.stop] : (body.stop ?? []);
  if (stop.length > 0) out.stop_sequences = stop;
  if (body.stream === true) out.stream = true;

  if (body.tools && body.tools.length > 0) {
    out.tools = body.tools.map((t, i) => toAnthropicTool(t, `tools[${i}]`));
    const choice = toAnthropicToolChoice(body.tool_choice, body.parallel_tool_calls === false);
    if (choice) out.tool_choice = choice;
  }
  const rf = body.response_format;
  if (rf && rf.type === 'json_schema') {
    refuseUnless(opts.structuredOutputs !== false, 'response_format', 'this provider takes no JSON schema for the response');
    out.output_config = { format: { type: 'json_schema', schema: rf.json_schema?.schema ?? { type: 'object' } } };
  } else if (rf && rf.type !== 'text') {
    refuseUnless(false, 'response_format.type', `response_format "${rf.type}" has no Anthropic equivalent; use json_schema with a schema`);
  }
  const user = body.user ?? (body.safety_identifier as string | undefined);
  if (typeof user === 'string' && user !== '') out.metadata = { user_id: user };
  const tier = serviceTier(body.service_tier);
  if (tier) out.service_tier = tier;
  return { ...out, ...opts.extra };
}

/** The last turn hands tool results back to an assistant turn that called tools. */
export function endsInToolResults(messages: MessageParam[]): boolean {
  const last = messages.at(-1);
  const before = messages.at(-2);
  const has = (m: MessageParam | undefined, type: string) => m !== undefined && Array.isArray(m.content) && m.content.some((b) => b.type === type);
  return last?.role === 'user' && has(last, 'tool_result') && before?.role === 'assistant' && has(before, 'tool_use');
}

function refuseUnless(ok: boolean, field: string, why: string): void {
  if (!ok) throw new GatewayError('unsupported_field', `${field}: ${why}`, field);
}

export function toAnthropicTool(t: ChatTool, at: string): Tool {
  if (t.type !== 'function' || !t.function) {
    throw new GatewayError('unsupported_field', `tools of type "${String(t.type)}" cannot be sent to an Anthropic model; only function tools`, `${at}.type`);
  }
  const tool: Tool = { name: t.function.name, input_schema: t.function.parameters ?? { type: 'object', properties: {} } };
  if (t.function.description !== undefined) tool.description = t.function.description;
  if (t.function.strict === true) tool.strict = true;
  return tool;
}

export function toAnthropicToolChoice(choice: ChatToolChoice | undefined | null, noParallel: boolean): ToolChoice | undefined {
  let out: ToolChoice | undefined;
  if (choice === undefined || choice === null) out = noParallel ? { type: 'auto' } : undefined;
  else if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') out = { type: 'tool', name: choice.function.name };
  else throw new GatewayError('unsupported_field', 'this tool_choice has no Anthropic equivalent (auto, none, required or one function)', 'tool_choice');
  if (out && noParallel) out.disable_parallel_tool_use = true;
  return out;
}

// OpenAI "default" is its standard tier, which Anthropic calls standard_only.
function serviceTier(tier: unknown): string | undefined {
  if (tier === undefined || tier === null) return undefined;
  if (tier === 'auto') return 'auto';
  if (tier === 'default') return 'standard_only';
  throw new GatewayError('unsupported_field', `service_tier "${String(tier)}" has no Anthropic equivalent (auto or default)`, 'service_tier');
}
