// Wire types of OpenAI's Responses API (POST /v1/responses and its stream), as far as the
// gateway reads them today (usage, model, terminal events) and translators to other
// providers will write them. Unknown fields are allowed everywhere.

export type ResponseInputContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url?: string | null; file_id?: string | null; detail?: 'auto' | 'low' | 'high' }
  | { type: 'input_file'; file_data?: string; file_id?: string | null; filename?: string }
  | { type: 'output_text'; text: string; annotations?: unknown[] }
  | { type: 'refusal'; refusal: string };

export type ResponseInputItem =
  | { type?: 'message'; role: 'user' | 'assistant' | 'system' | 'developer'; content: string | ResponseInputContent[]; id?: string; status?: string }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; id?: string; status?: string }
  | { type: 'function_call_output'; call_id: string; output: string | ResponseInputContent[]; id?: string }
  | { type: 'reasoning'; id?: string; summary: { type: 'summary_text'; text: string }[]; encrypted_content?: string | null }
  | { type: string; [extra: string]: unknown };

export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export interface ResponsesRequest {
  model?: string;
  input?: string | ResponseInputItem[];
  instructions?: string | null;
  stream?: boolean | null;
  background?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  tools?: (ResponseFunctionTool | { type: string; [extra: string]: unknown })[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: string; name?: string };
  parallel_tool_calls?: boolean | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  text?: { format?: { type: string; [extra: string]: unknown } | null; verbosity?: string | null };
  metadata?: Record<string, string> | null;
  user?: string;
  [extra: string]: unknown;
}

export interface ResponsesUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

export type ResponseOutputItem =
  | { type: 'message'; id: string; role: 'assistant'; status: string; content: ({ type: 'output_text'; text: string; annotations: unknown[] } | { type: 'refusal'; refusal: string })[] }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: string }
  | { type: 'reasoning'; id: string; summary: { type: 'summary_text'; text: string }[]; encrypted_content?: string | null }
  | { type: string; id?: string; [extra: string]: unknown };

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

/** The `response` object (also what response.created / .completed / .failed / .incomplete carry). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: ResponseOutputItem[];
  usage?: ResponsesUsage | null;
  error?: { code: string; message: string } | null;
  incomplete_details?: { reason?: string } | null;
  [extra: string]: unknown;
}

/** The stream's terminal events: after one of them nothing more is generated. */
export const TERMINAL_EVENTS = ['response.completed', 'response.failed', 'response.incomplete', 'error'] as const;

/** Stream events (`event: <type>` + `data: {"type": <type>, "sequence_number": n, …}`), those the gateway reads. */
export type ResponseStreamEvent =
  | { type: 'response.created' | 'response.in_progress' | 'response.queued'; sequence_number: number; response: ResponseObject }
  | { type: 'response.completed' | 'response.failed' | 'response.incomplete'; sequence_number: number; response: ResponseObject }
  | { type: 'response.output_text.delta'; sequence_number: number; item_id: string; output_index: number; content_index: number; delta: string }
  | { type: 'response.function_call_arguments.delta'; sequence_number: number; item_id: string; output_index: number; delta: string }
  | { type: 'response.reasoning_summary_text.delta'; sequence_number: number; item_id: string; output_index: number; summary_index: number; delta: string }
  | { type: 'error'; sequence_number: number; code: string | null; message: string; param: string | null }
  | { type: string; sequence_number: number; [extra: string]: unknown };
