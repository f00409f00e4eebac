// Plain values <-> google.protobuf.Struct as proto-loader encodes it, for the
// `llm_extproc` dynamic metadata and for reading route metadata/attributes.
import type { Struct, StructValue } from '../server/proto-types.js';

export function toValue(v: unknown): StructValue {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

export function toStruct(obj: Record<string, unknown>): Struct {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

export function fromValue(v: StructValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined && (v.kind === undefined || v.kind === 'stringValue')) return v.stringValue;
  if (v.numberValue !== undefined && (v.kind === undefined || v.kind === 'numberValue')) return v.numberValue;
  if (v.boolValue !== undefined && (v.kind === undefined || v.kind === 'boolValue')) return v.boolValue;
  if (v.structValue !== undefined && (v.kind === undefined || v.kind === 'structValue')) return fromStruct(v.structValue);
  if (v.listValue !== undefined && (v.kind === undefined || v.kind === 'listValue')) return (v.listValue.values ?? []).map(fromValue);
  return null;
}

export function fromStruct(s: Struct | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

/** Dynamic metadata for one namespace: `{ns: Struct(values)}`. */
export function namespaced(ns: string, values: Record<string, unknown>): Struct {
  return { fields: { [ns]: { structValue: toStruct(values) } } };
}
