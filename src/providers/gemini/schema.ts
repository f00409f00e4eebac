// JSON Schema (what OpenAI clients send for tool parameters and structured output)
// -> the OpenAPI-3 subset Gemini accepts. Gemini rejects keys it does not know
// (additionalProperties, $schema, strict…), so only known keys are kept; local
// $refs are inlined because Gemini's subset has no references.
import type { GeminiSchema } from '../../dialects/gemini/types.js';
import { GatewayError } from '../../errors.js';

type Json = Record<string, unknown>;

/** Keys Gemini's Schema takes whose values copy over as they are. */
const SCALAR_KEYS = ['title', 'description', 'nullable', 'maxItems', 'minItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'default', 'minimum', 'maximum', 'propertyOrdering'];

/** `format` values Gemini accepts, per type; any other format is rejected upstream. */
const FORMATS: Record<string, string[]> = {
  STRING: ['enum', 'date-time'],
  INTEGER: ['int32', 'int64'],
  NUMBER: ['float', 'double'],
};

const MAX_REF_DEPTH = 32;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toGeminiSchema(schema: unknown, param: string): GeminiSchema {
  if (!isObject(schema)) throw new GatewayError('unsupported_field', `${param} must be a JSON Schema object`, param);
  const defs = { ...(isObject(schema.definitions) ? schema.definitions : {}), ...(isObject(schema.$defs) ? schema.$defs : {}) };
  return convert(schema, defs, param, 0);
}

/** True when an object schema declares no properties (Gemini rejects an empty OBJECT). */
export function hasNoProperties(schema: GeminiSchema): boolean {
  return schema.type === 'OBJECT' && (schema.properties === undefined || Object.keys(schema.properties).length === 0);
}

function convert(s: Json, defs: Json, param: string, depth: number): GeminiSchema {
  if (depth > MAX_REF_DEPTH) throw new GatewayError('unsupported_field', `${param} nests or recurses deeper than Gemini schemas can express`, param);
  if (typeof s.$ref === 'string') return convert(deref(s, defs, param, depth), defs, param, depth + 1);
  if (Array.isArray(s.allOf)) {
    const { allOf, ...rest } = s;
    const parts = allOf.filter(isObject).map((p, i) => deref(p, defs, `${param}.allOf[${i}]`, depth));
    return convert(mergeAll([rest, ...parts]), defs, param, depth + 1);
  }
  const out: GeminiSchema = {};
  const variants = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (variants) {
    // A nullable union ({anyOf: [X, {type: null}]}) is X with nullable in Gemini's subset.
    const nonNull = variants.filter((v) => !(isObject(v) && v.type === 'null'));
    if (nonNull.length < variants.length) out.nullable = true;
    if (nonNull.length === 1 && isObject(nonNull[0])) Object.assign(out, convert(nonNull[0], defs, `${param}.anyOf[0]`, depth + 1));
    else out.anyOf = nonNull.map((v, i) => convert(isObject(v) ? v : {}, defs, `${param}.anyOf[${i}]`, depth + 1));
  }
  applyType(s, out);
  for (const key of SCALAR_KEYS) if (s[key] !== undefined) out[key] = s[key];
  if (s.const !== undefined) out.enum = [s.const];
  if (Array.isArray(s.enum)) out.enum = s.enum;
  if (out.enum && out.type === 'STRING') out.format = 'enum';
  if (typeof s.format === 'string' && out.type && FORMATS[out.type]?.includes(s.format)) out.format ??= s.format;
  if (isObject(s.properties)) {
    const props: Record<string, GeminiSchema> = {};
    for (const [name, sub] of Object.entries(s.properties)) props[name] = convert(isObject(sub) ? sub : {}, defs, `${param}.properties.${name}`, depth + 1);
    if (Object.keys(props).length > 0) out.properties = props;
  }
  if (Array.isArray(s.required) && out.properties) {
    const required = s.required.filter((r): r is string => typeof r === 'string' && r in out.properties!);
    if (required.length > 0) out.required = required;
  }
  if (isObject(s.items)) out.items = convert(s.items, defs, `${param}.items`, depth + 1);
  else if (Array.isArray(s.items) && isObject(s.items[0])) out.items = convert(s.items[0], defs, `${param}.items`, depth + 1);
  return out;
}

/** JSON Schema `type` (a name or a list of names) -> Gemini's upper-case type + nullable. */
function applyType(s: Json, out: GeminiSchema): void {
  const types = (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]).filter((t): t is string => typeof t === 'string');
  const nonNull = types.filter((t) => t !== 'null');
  if (nonNull.length < types.length) out.nullable = true;
  if (nonNull.length === 1) out.type = nonNull[0]!.toUpperCase();
  else if (nonNull.length > 1) out.anyOf = nonNull.map((t) => ({ type: t.toUpperCase() }));
  else if (out.type === undefined && out.anyOf === undefined) {
    // Untyped: infer what JSON Schema implies, since Gemini wants a type on every node.
    if (isObject(s.properties)) out.type = 'OBJECT';
    else if (s.items !== undefined) out.type = 'ARRAY';
    else if (Array.isArray(s.enum) || typeof s.const === 'string') out.type = 'STRING';
  }
}

/** A `$ref` node -> its local definition, with the node's sibling keys on top. */
function deref(s: Json, defs: Json, param: string, depth: number): Json {
  let node = s;
  for (let d = depth; typeof node.$ref === 'string'; d++) {
    if (d > MAX_REF_DEPTH) throw new GatewayError('unsupported_field', `${param} nests or recurses deeper than Gemini schemas can express`, param);
    const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(node.$ref);
    const target = m ? defs[decodeURIComponent(m[1]!)] : undefined;
    if (!isObject(target)) throw new GatewayError('unsupported_field', `${param}.$ref ${node.$ref} is not a local definition Gemini can inline`, `${param}.$ref`);
    const { $ref: _ref, ...siblings } = node;
    node = { ...target, ...siblings };
  }
  return node;
}

function mergeAll(parts: Json[]): Json {
  const out: Json = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'properties' && isObject(v)) out.properties = { ...(isObject(out.properties) ? out.properties : {}), ...v };
      else if (k === 'required' && Array.isArray(v)) out.required = [...(Array.isArray(out.required) ? out.required : []), ...v];
      else out[k] = v;
    }
  }
  return out;
}

/** For responseJsonSchema, which takes JSON Schema itself: only the meta keys Google refuses go. */
export function forResponseJsonSchema(schema: unknown, param: string): Json {
  if (!isObject(schema)) throw new GatewayError('unsupported_field', `${param} must be a JSON Schema object`, param);
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}
