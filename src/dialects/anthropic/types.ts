// Wire types of Anthropic's Messages API (POST /v1/messages), as far as the
// translators read or write them: request, response, stream events, errors.
// Unknown fields are allowed: the API grows block and event types often, and a
// same-dialect request must pass through whatever a newer SDK sends.

export type { CacheControl } from '../types.js';
import type { CacheControl } from '../types.js';

export type ImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };

export type DocumentSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'text'; media_type: 'text/plain'; data: string }
  | { type: 'url'; url: string }
  | { type: 'content'; content: string | ContentBlock[] }
  | { type: 'file'; file_id: string };

export interface TextBlock {
  type: 'text';
  text: string;
  cache_control?: CacheControl | null;
  citations?: unknown[] | null;
}

export interface ImageBlock {
  type: 'image';
  source: ImageSource;
  cache_control?: CacheControl | null;
}

export interface DocumentBlock {
  type: 'document';
  source: DocumentSource;
  title?: string | null;
  context?: string | null;
  cache_control?: CacheControl | null;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
  cache_control?: CacheControl | null;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | ContentBlock[];
  is_error?: boolean;
  cache_control?: CacheControl | null;
}

export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/** Any block type this gateway does not model (server tools, search results…). */
export interface OtherBlock {
  type: string;
  [extra: string]: unknown;
}

export type ContentBlock = TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | (ContentBlock | OtherBlock)[];
}

export interface Tool {
  /** Absent or 'custom' for client tools; server tools carry a versioned type (web_search_20250305…). */
  type?: string;
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  strict?: boolean;
  cache_control?: CacheControl | null;
  [extra: string]: unknown;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface OutputFormat {
  type: 'json_schema';
  schema: Record<string, unknown>;
}

export interface MessagesRequest {
  model?: string;
  messages: MessageParam[];
  max_tokens: number;
  system?: string | TextBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: Tool[];
  tool_choice?: ToolChoice;
  metadata?: { user_id?: string | null };
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | { type: string };
  /** Structured outputs (GA): constrained JSON output. */
  output_config?: { format?: OutputFormat; [extra: string]: unknown };
  /** The structured-outputs beta's spelling, still accepted for a transition period. */
  output_format?: OutputFormat;
  service_tier?: string;
  /** Vertex AI and Bedrock take the API version in the body instead of a header. */
  anthropic_version?: string;
  [extra: string]: unknown;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [extra: string]: unknown;
}

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: (ContentBlock | OtherBlock)[];
  stop_reason: StopReason | string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
  [extra: string]: unknown;
}

export interface ErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

// Stream events (`event: <type>` + `data: {"type":"<type>",…}`).

export interface MessageStartEvent {
  type: 'message_start';
  message: Message;
}

export interface ContentBlockStartEvent {
  type: 'content_block_start';
  index: number;
  content_block: ContentBlock | OtherBlock;
}

export type BlockDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: unknown };

export interface ContentBlockDeltaEvent {
  type: 'content_block_delta';
  index: number;
  delta: BlockDelta | { type: string; [extra: string]: unknown };
}

export interface ContentBlockStopEvent {
  type: 'content_block_stop';
  index: number;
}

export interface MessageDeltaEvent {
  type: 'message_delta';
  delta: { stop_reason?: StopReason | string | null; stop_sequence?: string | null };
  /** Cumulative counts; input and cache fields appear in newer API versions. */
  usage?: AnthropicUsage;
}

export interface MessageStopEvent {
  type: 'message_stop';
}

export interface PingEvent {
  type: 'ping';
}

export interface ErrorEvent {
  type: 'error';
  error: { type: string; message: string };
}

export type StreamEvent =
  | MessageStartEvent
  | ContentBlockStartEvent
  | ContentBlockDeltaEvent
  | ContentBlockStopEvent
  | MessageDeltaEvent
  | MessageStopEvent
  | PingEvent
  | ErrorEvent;

/** Event types a reader may meet that this gateway does not know (the API adds them). */
export interface UnknownEvent {
  type: string;
  [extra: string]: unknown;
}
