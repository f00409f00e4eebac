// Dialect registry: path -> dialect/operation, dialect -> request validator and error body.
import { ANTHROPIC_REQUEST_CEL, anthropicError, matchAnthropicPath } from './anthropic/index.js';
import { validateAnthropic } from './anthropic/validate.js';
import { GEMINI_REQUEST_CEL, geminiError, matchGeminiPath } from './gemini/index.js';
import { validateGemini } from './gemini/validate.js';
import { matchOpenAIPath, openAIError } from './openai/index.js';
import { validateOpenAI } from './openai/validate.js';
import type { DialectName, DialectRequest, ErrorShape, Operation } from './types.js';
import { checkDepth, type Obj } from './validate.js';

const MATCHERS = [matchGeminiPath, matchAnthropicPath, matchOpenAIPath];

/** The dialect a client path speaks, or undefined (bare prefix or unknown endpoint). */
export function detectDialect(path: string): DialectRequest | undefined {
  for (const match of MATCHERS) {
    const found = match(path);
    if (found) return found;
  }
  return undefined;
}

/**
 * Best guess of the client's dialect before a backend is known, so that even
 * early errors (no backend, bad template) come back in a shape its SDK parses.
 */
export function guessDialect(path: string, headers: ReadonlyMap<string, string>): DialectName {
  const found = detectDialect(path);
  if (found) return found.dialect;
  if (headers.has('anthropic-version')) return 'anthropic';
  if (headers.has('x-goog-api-key') || headers.has('x-goog-api-client')) return 'gemini';
  return 'openai';
}

const RENDER: Record<DialectName, (e: ErrorShape) => unknown> = {
  openai: openAIError,
  anthropic: anthropicError,
  gemini: geminiError,
};

/** A gateway error as the dialect's JSON error object. */
export function errorBody(dialect: DialectName, e: ErrorShape): unknown {
  return RENDER[dialect](e);
}

export function renderError(dialect: DialectName, e: ErrorShape): Buffer {
  return Buffer.from(JSON.stringify(errorBody(dialect, e)));
}

/**
 * CEL that tells a request's dialect from its path and headers alone, for replies Envoy makes
 * before the processor saw the request; OpenAI's is the default and needs none.
 */
export const REQUEST_DIALECT_CEL: Record<Exclude<DialectName, 'openai'>, string> = {
  anthropic: ANTHROPIC_REQUEST_CEL,
  gemini: GEMINI_REQUEST_CEL,
};

const VALIDATE: Record<DialectName, (operation: Operation, body: Obj) => void> = {
  openai: validateOpenAI,
  anthropic: validateAnthropic,
  gemini: validateGemini,
};

/** Where each dialect keeps the conversation in a request body (for traces that capture content). */
const MESSAGES: Record<DialectName, (b: Obj) => unknown> = {
  openai: (b) => b.messages ?? b.prompt ?? b.input,
  anthropic: (b) => (b.system === undefined ? b.messages : { system: b.system, messages: b.messages }),
  gemini: (b) => (b.systemInstruction === undefined ? b.contents : { systemInstruction: b.systemInstruction, contents: b.contents }),
};

export function requestMessages(dialect: DialectName, body: Obj): unknown {
  return MESSAGES[dialect](body);
}

/**
 * Checks a parsed request body against its dialect's shape before any translation; throws a
 * 400 `invalid_request` naming the JSON path. After this, translators can trust the types.
 */
export function validateRequest(dialect: DialectName, operation: Operation, body: Obj): void {
  checkDepth(body);
  VALIDATE[dialect](operation, body);
}
