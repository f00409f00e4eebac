// Gemini's native API as clients speak it: `/{v1,v1beta}/models/{model}:generateContent`.
import type { DialectRequest, ErrorShape } from '../types.js';

const NATIVE = /^\/(?:v1|v1beta|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents|countTokens)$/;

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

/** A request Envoy answers before the processor saw it is Gemini's if its path or headers say so (CEL). */
export const GEMINI_REQUEST_CEL = "(request.url_path.matches(':(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)$') || 'x-goog-api-key' in request.headers)";

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

export function geminiError(e: ErrorShape): unknown {
  return { error: { code: e.status, message: `${e.code}: ${e.message}`, status: STATUS[e.status] ?? 'UNKNOWN' } };
}
