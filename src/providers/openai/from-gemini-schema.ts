// Gemini's OpenAPI-3 schema subset (function parameters, responseSchema) -> JSON
// Schema for OpenAI. Gemini spells types in upper case and marks nullability with a
// flag; JSON Schema wants lower-case types and `null` in the type list. Keys that
// only steer Gemini's own decoder (propertyOrdering, format "enum") are left out,
// since OpenAI rejects or ignores them and they ask for nothing a JSON Schema can say.
import type { GeminiSchema } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';

type Json = Record<string, unknown>;

const COPIED = ['title', 'description', 'enum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'default'];
const DROPPED = new Set(['propertyOrdering', 'example', 'nullable', 'type', 'format', 'properties', 'items', 'required', 'anyOf']);
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
  for (const key of Object.keys(g)) {
    if (!COPIED.includes(key) && !DROPPED.has(key)) throw new GatewayError('unsupported_field', `${param}.${key} has no JSON Schema counterpart the gateway knows`, `${param}.${key}`);
  }
  if (typeof g.type === 'string' && g.type !== 'TYPE_UNSPECIFIED') {
    const type = g.type.toLowerCase();
    out.type = g.nullable === true ? [type, 'null'] : type;
  }
  for (const key of COPIED) if (g[key] !== undefined) out[key] = g[key];
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
