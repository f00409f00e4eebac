// Client-facing API dialects and the operations the gateway recognises in them.
export const DIALECTS = ['openai', 'anthropic', 'gemini'] as const;
export type DialectName = (typeof DIALECTS)[number];

export type Operation =
  | 'chat' // OpenAI /chat/completions, Anthropic /messages, Gemini generateContent
  | 'completions' // OpenAI legacy /completions
  | 'embeddings'
  | 'models'
  | 'other';

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
