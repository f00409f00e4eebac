// Client-facing API dialects and the operations the gateway recognises in them.
export const DIALECTS = ['openai', 'anthropic', 'gemini'] as const;
export type DialectName = (typeof DIALECTS)[number];

export type Operation =
  | 'chat' // OpenAI /chat/completions, Anthropic /messages, Gemini generateContent
  | 'completions' // OpenAI legacy /completions
  | 'embeddings'
  | 'models'
  | 'responses' // OpenAI Responses API: POST /responses (create), the one that generates
  | 'responses_compact' // OpenAI POST /responses/compact: a billed model pass over a conversation
  | 'responses_state' // OpenAI stored responses: GET/DELETE /responses/{id}, POST …/cancel, GET …/input_items
  | 'other'; // token counting: Anthropic /messages/count_tokens, Gemini :countTokens, OpenAI /responses/input_tokens

/**
 * A prompt-cache breakpoint on a content block: Anthropic's own field, also taken on OpenAI
 * Chat and Responses content parts (the extension Anthropic-compatible OpenAI clients send),
 * so a cache marked by any client reaches Claude and Bedrock.
 */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface DialectRequest {
  dialect: DialectName;
  operation: Operation;
  /** Gemini native: the model named in the path; stream from :streamGenerateContent. */
  pathModel?: string;
  pathStream?: boolean;
  /** The path is this dialect's but unusable (a malformed %-escape): a 400 in its error shape. */
  invalid?: string;
}

/** A gateway-made error, rendered in one dialect's JSON error shape (defined with the errors). */
export type { ErrorShape } from '../errors.js';
import type { ErrorShape } from '../errors.js';

/** One client dialect as the registry sees it; each is defined in its own folder. */
export interface Dialect {
  name: DialectName;
  /** The dialect and operation a client path speaks, or undefined. */
  match(path: string): DialectRequest | undefined;
  /** Request headers only this dialect's SDKs send: the dialect of a path that does not say. */
  headers: readonly string[];
  /** CEL true for this dialect's paths (`request.url_path`), for replies Envoy makes itself; the default dialect needs none. */
  pathCel?: string;
  /** A gateway error as the dialect's JSON error object. */
  error(e: ErrorShape): unknown;
  /** Throws a 400 naming the JSON path when the body is not the operation's shape. */
  validate(operation: Operation, body: Record<string, unknown>): void;
  /** Where the body keeps the conversation (for traces that capture content). */
  messages(body: Record<string, unknown>): unknown;
}
