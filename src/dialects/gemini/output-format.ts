// What a Gemini request's generationConfig asks the answer to be, read once for every
// translation that takes Gemini clients to another model (Claude, OpenAI): text, JSON, or
// JSON matching a schema (responseJsonSchema is JSON Schema already; responseSchema, Gemini's
// OpenAPI subset, is converted). A MIME type the other side has no format for is a 400
// unsupported_field naming it.
import { GatewayError } from '../../errors.js';
import { fromGeminiSchema } from './json-schema.js';
import type { GeminiGenerationConfig } from './types.js';

export type GeminiOutput = { kind: 'text' } | { kind: 'json' } | { kind: 'schema'; schema: Record<string, unknown> };

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** @param format how refusals name the target's field ("Claude output format", "OpenAI response_format") */
export function readOutputFormat(g: GeminiGenerationConfig, format: string): GeminiOutput {
  const p = 'generationConfig';
  const mime = g.responseMimeType;
  const hasSchema = present(g.responseSchema) || present(g.responseJsonSchema);
  if (mime === undefined || mime === 'text/plain') {
    if (hasSchema) throw new GatewayError('unsupported_field', `${p}.responseSchema needs responseMimeType application/json`, `${p}.responseSchema`);
    return { kind: 'text' };
  }
  if (mime !== 'application/json') throw new GatewayError('unsupported_field', `${p}.responseMimeType "${mime}" has no ${format}`, `${p}.responseMimeType`);
  if (!hasSchema) return { kind: 'json' };
  const schema = present(g.responseJsonSchema) ? (g.responseJsonSchema as Record<string, unknown>) : fromGeminiSchema(g.responseSchema, `${p}.responseSchema`);
  return { kind: 'schema', schema };
}
