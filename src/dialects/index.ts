// Dialect registry: path and headers -> dialect/operation; dialect -> request validator, error
// body, and the CEL Envoy's own replies use. What each dialect is lives in its folder.
import { anthropicDialect } from './anthropic/index.js';
import { geminiDialect } from './gemini/index.js';
import { openAIDialect } from './openai/index.js';
import type { Dialect, DialectName, DialectRequest, ErrorShape, Operation } from './types.js';
import { checkDepth, type Obj } from './validate.js';

/** A request that says nothing of its dialect speaks this one. */
export const DEFAULT_DIALECT: DialectName = 'openai';

const BY_NAME: Record<DialectName, Dialect> = { openai: openAIDialect, anthropic: anthropicDialect, gemini: geminiDialect };
/** Path matching order: Gemini's paths are the most specific, OpenAI's suffixes the least. */
const MATCH_ORDER = [geminiDialect, anthropicDialect, openAIDialect];

/** The dialect a client path speaks, or undefined (bare prefix or unknown endpoint). */
export function detectDialect(path: string): DialectRequest | undefined {
  for (const d of MATCH_ORDER) {
    const found = d.match(path);
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
  for (const d of MATCH_ORDER) if (d.headers.some((h) => headers.has(h))) return d.name;
  return DEFAULT_DIALECT;
}

/** A gateway error as the dialect's JSON error object. */
export function errorBody(dialect: DialectName, e: ErrorShape): unknown {
  return BY_NAME[dialect].error(e);
}

export function renderError(dialect: DialectName, e: ErrorShape): Buffer {
  return Buffer.from(JSON.stringify(errorBody(dialect, e)));
}

/**
 * CEL that tells a request's dialect from its path and headers alone (guessDialect's rule),
 * for replies Envoy makes before the processor saw the request; undefined for the default.
 */
export function requestDialectCel(dialect: DialectName): string | undefined {
  const d = BY_NAME[dialect];
  if (d.pathCel === undefined) return undefined;
  return `(${[d.pathCel, ...d.headers.map((h) => `'${h}' in request.headers`)].join(' || ')})`;
}

export function requestMessages(dialect: DialectName, body: Obj): unknown {
  return BY_NAME[dialect].messages(body);
}

/**
 * Checks a parsed request body against its dialect's shape before any translation; throws a
 * 400 `invalid_request` naming the JSON path. After this, translators can trust the types.
 */
export function validateRequest(dialect: DialectName, operation: Operation, body: Obj): void {
  checkDepth(body);
  BY_NAME[dialect].validate(operation, body);
}
