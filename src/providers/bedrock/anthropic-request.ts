// Anthropic Messages request -> Bedrock Converse request. Claude's own knobs that
// Converse has no field for (top_k, thinking, beta flags) travel in
// additionalModelRequestFields, as Bedrock documents for Anthropic models;
// cache_control becomes a Converse cachePoint after the block it marks, its ttl
// the cache point's. What cannot be expressed (image URLs, server tools,
// structured output formats, disable_parallel_tool_use, a cache ttl Bedrock has
// no value for) is a 400 unsupported_field naming the field.
import type { ContentBlock as AContent, CacheControl, MessagesRequest, OtherBlock, TextBlock, Tool, ToolChoice as AToolChoice } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import type { CachePoint, ContentBlock, ConverseMessage, ConverseRequest, DocumentBlock, SystemBlock, ToolChoice, ToolResultContent } from './converse-types.js';
import { cachePoint, imageBlock } from './shared.js';

// Request keys with no Converse counterpart; harmless values pass.
const UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  service_tier: (v) => v !== 'auto' && v !== 'standard_only',
  output_config: (v) => typeof v === 'object' && v !== null && Object.keys(v).length > 0,
  output_format: () => true,
  container: () => true,
  mcp_servers: (v) => !(Array.isArray(v) && v.length === 0),
  context_management: () => true,
};

export function converseFromAnthropic(req: MessagesRequest, betaHeader: string | undefined): ConverseRequest {
  for (const [field, unsupported] of Object.entries(UNSUPPORTED)) {
    const v = req[field];
    if (v !== undefined && v !== null && unsupported(v)) {
      throw new GatewayError('unsupported_field', `Bedrock Converse has no equivalent of ${field}`, field);
    }
  }
  if (!Array.isArray(req.messages)) throw new GatewayError('unsupported_field', 'messages must be an array', 'messages');
  const body: ConverseRequest = {
    messages: req.messages.map((m, i): ConverseMessage => ({ role: m.role, content: blocks(m.content, `messages[${i}].content`) })),
  };
  if (req.system !== undefined) body.system = systemBlocks(req.system);

  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {};
  if (typeof req.max_tokens === 'number') inference.maxTokens = req.max_tokens;
  if (typeof req.temperature === 'number') inference.temperature = req.temperature;
  if (typeof req.top_p === 'number') inference.topP = req.top_p;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) inference.stopSequences = req.stop_sequences;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  const extra: Record<string, unknown> = {};
  if (typeof req.top_k === 'number') extra.top_k = req.top_k;
  if (req.thinking && req.thinking.type !== 'disabled') extra.thinking = req.thinking;
  const betas = betaHeader?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  if (betas.length > 0) extra.anthropic_beta = betas;
  if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;

  if (typeof req.metadata?.user_id === 'string') body.requestMetadata = { user_id: req.metadata.user_id };
  applyTools(req.tools, req.tool_choice, body);
  return body;
}

function systemBlocks(system: string | TextBlock[]): SystemBlock[] {
  if (typeof system === 'string') return [{ text: system }];
  const out: SystemBlock[] = [];
  system.forEach((b, i) => {
    if (b.type !== 'text') throw new GatewayError('unsupported_field', `system blocks must be text, not ${String(b.type)}`, `system[${i}]`);
    out.push({ text: b.text });
    const point = cachePoint(b.cache_control, `system[${i}]`);
    if (point) out.push(point);
  });
  return out;
}

function blocks(content: string | (AContent | OtherBlock)[], at: string): ContentBlock[] {
  if (typeof content === 'string') return [{ text: content }];
  const out: ContentBlock[] = [];
  content.forEach((raw, j) => {
    out.push(block(raw as AContent, `${at}[${j}]`));
    const point = cachePoint((raw as { cache_control?: CacheControl | null }).cache_control, `${at}[${j}]`) ?? innerCachePoint(raw as AContent, `${at}[${j}]`);
    if (point) out.push(point);
  });
  return out;
}

/**
 * A marker inside a tool result's content: Converse tool results hold no cache points, so the
 * nearest place to mark is right after the tool result (the last marked block's ttl wins).
 */
function innerCachePoint(b: AContent, at: string): { cachePoint: CachePoint } | undefined {
  if (b.type !== 'tool_result' || !Array.isArray(b.content)) return undefined;
  let point: { cachePoint: CachePoint } | undefined;
  b.content.forEach((c, k) => {
    point = cachePoint((c as { cache_control?: CacheControl | null }).cache_control, `${at}.content[${k}]`) ?? point;
  });
  return point;
}

function block(b: AContent, at: string): ContentBlock {
  switch (b.type) {
    case 'text':
      return { text: b.text };
    case 'image':
      if (b.source.type !== 'base64') throw new GatewayError('unsupported_field', 'Bedrock takes images as base64 data only; it cannot fetch image URLs or files', `${at}.source`);
      return { image: imageBlock(b.source.media_type, b.source.data, `${at}.source.media_type`) };
    case 'document':
      return { document: documentBlock(b.source, b.title, at) };
    case 'tool_use':
      return { toolUse: { toolUseId: b.id, name: b.name, input: b.input ?? {} } };
    case 'tool_result': {
      const content = toolResultContent(b.content, `${at}.content`);
      return { toolResult: { toolUseId: b.tool_use_id, content, ...(b.is_error ? { status: 'error' as const } : {}) } };
    }
    case 'thinking':
      return { reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } } };
    case 'redacted_thinking':
      return { reasoningContent: { redactedContent: b.data } };
    default:
      throw new GatewayError('unsupported_field', `Bedrock Converse cannot carry ${String((b as OtherBlock).type)} blocks`, `${at}.type`);
  }
}

function toolResultContent(content: string | AContent[] | undefined, at: string): ToolResultContent[] {
  if (content === undefined) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((b, k): ToolResultContent => {
    if (b.type === 'text') return { text: b.text };
    if (b.type === 'image' && b.source.type === 'base64') return { image: imageBlock(b.source.media_type, b.source.data, `${at}[${k}].source.media_type`) };
    throw new GatewayError('unsupported_field', `Bedrock tool results carry text and base64 images, not ${b.type}`, `${at}[${k}]`);
  });
}

function documentBlock(source: Extract<AContent, { type: 'document' }>['source'], title: string | null | undefined, at: string): DocumentBlock {
  // Converse document names allow letters, digits, single spaces, hyphens, parentheses
  // and brackets, and must be unique in a request: untitled ones are named by position.
  const clean = (s: string) => s.replace(/[^A-Za-z0-9 \-()[\]]/g, ' ').replace(/\s+/g, ' ').trim();
  const name = clean(title ?? '') || clean(at);
  if (source.type === 'base64' && source.media_type === 'application/pdf') return { format: 'pdf', name, source: { bytes: source.data } };
  if (source.type === 'text') return { format: 'txt', name, source: { bytes: Buffer.from(source.data, 'utf8').toString('base64') } };
  throw new GatewayError('unsupported_field', 'Bedrock takes documents as base64 PDF or plain text only', `${at}.source`);
}

function applyTools(tools: Tool[] | undefined, choice: AToolChoice | undefined, body: ConverseRequest): void {
  if (choice && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) {
    throw new GatewayError('unsupported_field', 'Bedrock Converse cannot disable parallel tool use', 'tool_choice.disable_parallel_tool_use');
  }
  if (!tools || tools.length === 0) return;
  if (choice?.type === 'none') {
    const usesTools = body.messages.some((m) => m.content.some((c) => 'toolUse' in c || 'toolResult' in c));
    if (usesTools) throw new GatewayError('unsupported_field', 'Bedrock Converse cannot forbid tool use in a conversation that already holds tool calls (tool_choice "none")', 'tool_choice');
    return;
  }
  const specs: NonNullable<ConverseRequest['toolConfig']>['tools'] = [];
  tools.forEach((t, i) => {
    if (t.type !== undefined && t.type !== 'custom') throw new GatewayError('unsupported_field', `Bedrock Converse has no server tool ${t.type}`, `tools[${i}].type`);
    specs.push({ toolSpec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: { json: t.input_schema ?? { type: 'object' } } } });
    const point = cachePoint(t.cache_control, `tools[${i}]`);
    if (point) specs.push(point);
  });
  let toolChoice: ToolChoice | undefined;
  if (choice?.type === 'auto') toolChoice = { auto: {} };
  else if (choice?.type === 'any') toolChoice = { any: {} };
  else if (choice?.type === 'tool') toolChoice = { tool: { name: choice.name } };
  body.toolConfig = toolChoice ? { tools: specs, toolChoice } : { tools: specs };
}
