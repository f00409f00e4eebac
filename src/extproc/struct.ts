// Plain values <-> google.protobuf.Struct as proto-loader encodes it, for the
// `llm_extproc` dynamic metadata and for reading route metadata/attributes.
import type { Struct, StructValue } from './types.js';

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

/**
 * The values of one namespace as Envoy last got them, and the ones set since. Each reply
 * carries only what changed (Envoy merges a namespace key by key), so a long stream does
 * not re-send, or re-serialise, the whole Struct with every chunk.
 */
export class MetadataLedger<K extends string = string> {
  private readonly values = new Map<K, unknown>();
  private dirty: K[] = [];

  constructor(private readonly namespace: string) {}

  set(key: K, value: unknown): void {
    if (value === undefined || this.values.get(key) === value) return;
    if (!this.dirty.includes(key)) this.dirty.push(key);
    this.values.set(key, value);
  }

  /** The Struct of what changed since the last take, or undefined when nothing did. */
  take(): Struct | undefined {
    if (this.dirty.length === 0) return undefined;
    const fields: Record<string, StructValue> = {};
    for (const k of this.dirty) fields[k] = toValue(this.values.get(k));
    this.dirty = [];
    return { fields: { [this.namespace]: { structValue: { fields } } } };
  }

  /** Everything written so far, as plain values. */
  snapshot(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }
}
