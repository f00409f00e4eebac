// Plain values <-> google.protobuf.Struct as proto-loader encodes it, for the
// `llm_extproc` dynamic metadata and for reading route metadata/attributes.
import type { Struct, StructValue } from '../server/proto-types.js';

export function toValue(v: unknown): StructValue {
  if (v === null || v === undefined) return { null_value: 0 };
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (typeof v === 'string') return { string_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(toValue) } };
  return { struct_value: toStruct(v as Record<string, unknown>) };
}

export function toStruct(obj: Record<string, unknown>): Struct {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

export function fromValue(v: StructValue | undefined): unknown {
  if (!v) return undefined;
  if (v.string_value !== undefined && (v.kind === undefined || v.kind === 'string_value')) return v.string_value;
  if (v.number_value !== undefined && (v.kind === undefined || v.kind === 'number_value')) return v.number_value;
  if (v.bool_value !== undefined && (v.kind === undefined || v.kind === 'bool_value')) return v.bool_value;
  if (v.struct_value !== undefined && (v.kind === undefined || v.kind === 'struct_value')) return fromStruct(v.struct_value);
  if (v.list_value !== undefined && (v.kind === undefined || v.kind === 'list_value')) return (v.list_value.values ?? []).map(fromValue);
  return null;
}

export function fromStruct(s: Struct | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

/** Dynamic metadata for one namespace: `{ns: Struct(values)}`. */
export function namespaced(ns: string, values: Record<string, unknown>): Struct {
  return { fields: { [ns]: { struct_value: toStruct(values) } } };
}
