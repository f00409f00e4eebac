// Small guards for validating a request body at the edge, before any translation. Each
// failure is a 400 `invalid_request` whose message and `param` name the JSON path
// (`messages[0].content`), so a client sees what to fix instead of a 500. Hand-written
// rather than a schema library: they run on every request, and they only check what some
// translator relies on; unknown fields pass, as providers add them faster than gateways.
import { GatewayError } from '../errors.js';

/** Deeper bodies are refused before anything walks them recursively (JSON.stringify, translators). */
export const MAX_DEPTH = 64;

export type Obj = Record<string, unknown>;

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing (it is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

export function invalid(path: string, expected: string, got: unknown): never {
  throw new GatewayError('invalid_request', `${path || 'the body'}: expected ${expected}, got ${describe(got)}`, path || undefined);
}

export const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function object(v: unknown, path: string): Obj {
  if (!isObj(v)) invalid(path, 'an object', v);
  return v;
}

export function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) invalid(path, 'an array', v);
  return v;
}

/** Checks one optional field of `o`; absent (undefined) always passes, `null` only when `nullable`. */
type FieldCheck = (o: Obj, key: string, path: string) => void;

function field(test: (v: unknown) => boolean, expected: string, nullable = false): FieldCheck {
  return (o, key, path) => {
    const v = o[key];
    if (v === undefined || (nullable && v === null) || test(v)) return;
    invalid(at(path, key), nullable ? `${expected} or null` : expected, v);
  };
}

const isString = (v: unknown) => typeof v === 'string';
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown) => Number.isInteger(v);

export const optString = field(isString, 'a string');
export const optStringOrNull = field(isString, 'a string', true);
export const optNumber = field(isNumber, 'a number');
export const optNumberOrNull = field(isNumber, 'a number', true);
export const optInt = field(isInt, 'an integer');
export const optIntOrNull = field(isInt, 'an integer', true);
export const optBool = field((v) => typeof v === 'boolean', 'a boolean');
export const optBoolOrNull = field((v) => typeof v === 'boolean', 'a boolean', true);
export const optObject = field(isObj, 'an object');
export const optObjectOrNull = field(isObj, 'an object', true);
export const optStrings = field((v) => Array.isArray(v) && v.every(isString), 'an array of strings');
export const optStringOrStrings = field((v) => isString(v) || (Array.isArray(v) && v.every(isString)), 'a string or an array of strings', true);

/** A required string field. */
export function string(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') invalid(at(path, key), 'a string', v);
  return v;
}

/** An optional object field whose members `check` looks at (given the object and its path). */
export function optNested(o: Obj, key: string, path: string, check: (v: Obj, path: string) => void): void {
  if (o[key] === undefined) return;
  const p = at(path, key);
  check(object(o[key], p), p);
}

/** An optional array field whose entries each pass `each`. */
export function optArrayOf(o: Obj, key: string, path: string, each: (v: unknown, path: string) => void): void {
  const v = o[key];
  if (v === undefined) return;
  const p = at(path, key);
  array(v, p).forEach((x, i) => each(x, at(p, i)));
}

/** An optional `cache_control` on a content part: an object naming its type, with an optional ttl string (null: none). */
export function optCacheControl(o: Obj, path: string): void {
  if (o.cache_control === null) return;
  optNested(o, 'cache_control', path, (cc, p) => {
    string(cc, 'type', p);
    optString(cc, 'ttl', p);
  });
}

/**
 * Refuses bodies nested deeper than MAX_DEPTH, naming where. Iterative, so a hostile body
 * cannot exhaust the stack here; the translators and JSON.stringify after it are safe then.
 * Paths are built only for a body that fails.
 */
export function checkDepth(body: unknown, limit = MAX_DEPTH): void {
  const stack: unknown[] = [body];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) {
      const where = deepPath(body, limit);
      throw new GatewayError('invalid_request', `${where}: nested deeper than ${limit} levels`, where);
    }
    if (Array.isArray(v)) for (const x of v) (stack.push(x), depths.push(depth + 1));
    else for (const k in v) (stack.push((v as Obj)[k]), depths.push(depth + 1));
  }
}

/** The path of the first value deeper than `limit` (only called for a body known to have one). */
function deepPath(body: unknown, limit: number): string {
  const stack: [unknown, number, string][] = [[body, 1, '']];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, at(path, i)]));
    else for (const k in v) stack.push([(v as Obj)[k], depth + 1, at(path, k)]);
  }
  return '';
}
