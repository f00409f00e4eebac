// Wire types of Bedrock Runtime's Converse / ConverseStream API and the Titan text
// embedding model, as far as the translators write or read them (field names from
// the Bedrock API reference). Unions are objects with exactly one member set.

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ImageBlock {
  format: ImageFormat;
  source: { bytes: string };
}

export type ToolResultContent = { text: string } | { json: unknown } | { image: ImageBlock };

export type ContentBlock =
  | { text: string }
  | { image: ImageBlock }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: 'success' | 'error' } }
  | { document: DocumentBlock }
  | { reasoningContent: { reasoningText?: { text: string; signature?: string }; redactedContent?: string } }
  | { cachePoint: CachePoint };

export interface CachePoint {
  type: 'default';
  /** Without it, Bedrock's default (5 minutes). */
  ttl?: '5m' | '1h';
}

export interface DocumentBlock {
  format: 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';
  /** Letters, digits, single spaces, hyphens, parentheses and brackets only. */
  name: string;
  source: { bytes: string };
}

export type SystemBlock = { text: string } | { cachePoint: CachePoint };

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } };
}

export type ToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: SystemBlock[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: (ToolSpec | { cachePoint: CachePoint })[]; toolChoice?: ToolChoice };
  additionalModelRequestFields?: Record<string, unknown>;
  requestMetadata?: Record<string, string>;
}

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | (string & {});

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface ConverseResponse {
  output?: { message?: { role: 'assistant'; content?: ContentBlock[] } };
  stopReason?: StopReason;
  usage?: ConverseUsage;
  metrics?: { latencyMs?: number };
  additionalModelResponseFields?: Record<string, unknown>;
}

// ConverseStream events, by their `:event-type` header.
export interface ContentBlockStartEvent {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId: string; name: string } };
}

export interface ContentBlockDeltaEvent {
  contentBlockIndex?: number;
  delta?: {
    text?: string;
    toolUse?: { input?: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
}

export interface MessageStopEvent {
  stopReason?: StopReason;
  additionalModelResponseFields?: Record<string, unknown>;
}

export interface MetadataEvent {
  usage?: ConverseUsage;
  metrics?: { latencyMs?: number };
}

/** Amazon Titan Text Embeddings (v1/v2) through InvokeModel: one input per request. */
export interface TitanEmbeddingRequest {
  inputText: string;
  dimensions?: number;
}

export interface TitanEmbeddingResponse {
  embedding?: number[];
  inputTextTokenCount?: number;
}
