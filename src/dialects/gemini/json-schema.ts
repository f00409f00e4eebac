// Gemini's OpenAPI-3 schema subset (function parameters, responseSchema) -> JSON Schema,
// for every provider that takes one (OpenAI, Claude). Gemini spells types in upper case and
// marks nullability with a flag; JSON Schema wants lower-case types and `null` in the type list. Keys that
// only steer Gemini's own decoder (propertyOrdering, format "enum", example) are left
// out: they ask for nothing a JSON Schema can say. Any other key is a JSON Schema
// keyword a client wrote (additionalProperties, const…) and goes on as it is.
import type { GeminiSchema } from './types.js';
import { GatewayError } from '../../errors.js';

type Json = Record<string, unknown>;

/** Converted below, or Gemini's own. */
const HANDLED = new Set(['propertyOrdering', 'example', 'nullable', 'type', 'format', 'properties', 'items', 'required', 'anyOf']);
/** int64 in Gemini's schema, which its JSON mapping may spell as strings ("3"); JSON Schema wants numbers. */
const COUNTS = new Set(['minItems', 'maxItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength']);
const MAX_DEPTH = 32;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fromGeminiSchema(schema: unknown, param: string): Json {
  return convert(schema, param, 0);
}

function convert(s: unknown, param: string, depth: number): Json {
  if (!isObject(s)) throw new GatewayError('unsupported_field', `${param} must be a schema object`, param);
  if (depth > MAX_DEPTH) throw new GatewayError('unsupported_field', `${param} nests deeper than the gateway translates`, param);
  const g = s as GeminiSchema;
  const out: Json = {};
  const type: unknown = g.type;
  if (typeof type === 'string' && type !== 'TYPE_UNSPECIFIED') out.type = g.nullable === true ? [type.toLowerCase(), 'null'] : type.toLowerCase();
  else if (Array.isArray(type)) out.type = type.map((t) => (typeof t === 'string' ? t.toLowerCase() : t));
  for (const [key, value] of Object.entries(g)) {
    if (HANDLED.has(key) || value === undefined) continue;
    out[key] = COUNTS.has(key) && typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  }
  // Gemini's "enum" format only says the string is one of `enum`; date-time and the numeric widths are JSON Schema formats too.
  if (typeof g.format === 'string' && g.format !== 'enum') out.format = g.format;
  if (isObject(g.properties)) {
    const props: Json = {};
    for (const [name, sub] of Object.entries(g.properties)) props[name] = convert(sub, `${param}.properties.${name}`, depth + 1);
    out.properties = props;
  }
  if (Array.isArray(g.required)) out.required = g.required;
  if (g.items !== undefined) out.items = convert(g.items, `${param}.items`, depth + 1);
  if (Array.isArray(g.anyOf)) {
    out.anyOf = g.anyOf.map((v, i) => convert(v, `${param}.anyOf[${i}]`, depth + 1));
    if (g.nullable === true && out.type === undefined) (out.anyOf as Json[]).push({ type: 'null' });
  }
  return out;
}
