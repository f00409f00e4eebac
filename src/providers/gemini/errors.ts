// Google API error bodies (AIP-193 `{"error":{code,message,status}}`, which Vertex
// sometimes wraps in a one-element array) -> the OpenAI error shape. The upstream
// status is kept by the processor; only the body changes.
import type { GoogleErrorBody } from '../../dialects/gemini/types.js';
import { openAIError } from '../../dialects/openai/index.js';

const MAX_MESSAGE = 2000;

/** Reads a Google error body; undefined when it is not one (an HTML page from a proxy…). */
export function parseGoogleError(text: string): GoogleErrorBody['error'] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(v)) v = v[0];
  const err = (v as Partial<GoogleErrorBody> | null)?.error;
  return err && typeof err === 'object' ? err : undefined;
}

export function googleErrorToOpenAI(status: number, body: Buffer): Buffer {
  const text = body.toString('utf8');
  const err = parseGoogleError(text);
  const message = err?.message ?? (text.trim() === '' ? `upstream returned status ${status}` : text.trim().slice(0, MAX_MESSAGE));
  const code = err?.status ?? `upstream_${status}`;
  return Buffer.from(JSON.stringify(openAIError({ status, code, message })));
}
