// Gemini's native API as clients speak it: `/{v1,v1beta}/models/{model}:generateContent`.
import type { Dialect, DialectRequest, ErrorShape } from '../types.js';
import { validateGemini } from './validate.js';

const METHODS = 'generateContent|streamGenerateContent|embedContent|batchEmbedContents|countTokens';
// The method is the last `:` part: a model id may hold colons itself (Bedrock's `…-v1:0`).
const NATIVE = new RegExp(`^/(?:v1|v1beta|v1alpha)/models/([^/]+):(${METHODS})$`);

export function matchGeminiPath(path: string): DialectRequest | undefined {
  const m = NATIVE.exec(path);
  if (!m) return undefined;
  const method = m[2]!;
  const operation = method.includes('mbed') ? 'embeddings' : method === 'countTokens' ? 'other' : 'chat';
  const found: DialectRequest = { dialect: 'gemini', operation, pathStream: method === 'streamGenerateContent' };
  try {
    found.pathModel = decodeURIComponent(m[1]!);
  } catch {
    // Still Gemini's dialect, so the 400 that follows is in Google's error shape.
    found.invalid = `the model in the path (${m[1]!.slice(0, 100)}) has a malformed %-escape`;
  }
  return found;
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  431: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's error body, for errors made from other providers' answers too. */
export function googleErrorBody(status: number, message: string): { error: { code: number; message: string; status: string } } {
  return { error: { code: status, message, status: googleStatus(status) } };
}

/** Google's canonical status name for an HTTP status (AIP-193), for error bodies made from other providers' errors too. */
export function googleStatus(httpStatus: number): string {
  return STATUS[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

export function geminiError(e: ErrorShape): unknown {
  return { error: { code: e.status, message: `${e.code}: ${e.message}`, status: STATUS[e.status] ?? 'UNKNOWN' } };
}

export const geminiDialect: Dialect = {
  name: 'gemini',
  match: matchGeminiPath,
  headers: ['x-goog-api-key', 'x-goog-api-client'],
  pathCel: `request.url_path.matches(':(${METHODS})$')`,
  error: geminiError,
  validate: validateGemini,
  messages: (b) => (b.systemInstruction === undefined ? b.contents : { systemInstruction: b.systemInstruction, contents: b.contents }),
};
