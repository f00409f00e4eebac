// google.protobuf.Struct straight to protobuf wire bytes. Every ext_proc reply that carries
// `llm_extproc` metadata has one, and protobufjs's generic map/oneof path cost several times
// the rest of the reply. Two passes over the same order: the first records every length
// (strings, values, entries, nested structs), the second writes into one exact buffer.
import type { Struct, StructValue } from './types.js';

// Tags (field << 3 | wire type) of the messages involved. Struct: map<string, Value>
// fields = 1, each entry a message {key = 1, value = 2}. Value: null_value = 1 (enum),
// number_value = 2 (double), string_value = 3, bool_value = 4, struct_value = 5,
// list_value = 6. ListValue: repeated Value values = 1.
const T_ENTRY = 0x0a;
const T_KEY = 0x0a;
const T_VALUE = 0x12;
const T_NULL = 0x08;
const T_NUMBER = 0x11;
const T_STRING = 0x1a;
const T_BOOL = 0x20;
const T_STRUCT = 0x2a;
const T_LIST = 0x32;
const T_ITEM = 0x0a;

const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
const delimited = (n: number) => varintSize(n) + n;

function writeVarint(buf: Buffer, off: number, n: number): number {
  while (n >= 0x80) {
    buf[off++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[off++] = n;
  return off;
}

const isSet = (x: unknown) => x !== undefined && x !== null;

/** Size of a Value's body; its lengths go into `sizes` in write order. */
function sizeValue(v: StructValue, sizes: number[]): number {
  if (isSet(v.numberValue)) return 9;
  if (isSet(v.stringValue)) {
    const n = Buffer.byteLength(v.stringValue!);
    sizes.push(n);
    return 1 + delimited(n);
  }
  if (isSet(v.boolValue)) return 2;
  if (isSet(v.structValue)) {
    const at = sizes.push(0) - 1;
    const n = sizeStruct(v.structValue!, sizes);
    sizes[at] = n;
    return 1 + delimited(n);
  }
  if (isSet(v.listValue)) {
    const at = sizes.push(0) - 1;
    let n = 0;
    for (const item of v.listValue!.values ?? []) {
      const itemAt = sizes.push(0) - 1;
      const m = sizeValue(item, sizes);
      sizes[itemAt] = m;
      n += 1 + delimited(m);
    }
    sizes[at] = n;
    return 1 + delimited(n);
  }
  return 2; // null_value: NULL_VALUE (0)
}

function sizeStruct(s: Struct, sizes: number[]): number {
  const fields = s.fields ?? {};
  let n = 0;
  for (const k in fields) {
    const entryAt = sizes.push(0) - 1;
    const key = Buffer.byteLength(k);
    sizes.push(key);
    const valueAt = sizes.push(0) - 1;
    const value = sizeValue(fields[k]!, sizes);
    sizes[valueAt] = value;
    const entry = 1 + delimited(key) + 1 + delimited(value);
    sizes[entryAt] = entry;
    n += 1 + delimited(entry);
  }
  return n;
}

/** The second pass: `sizes` read back in the order the first pass wrote them. */
class Writer {
  private next = 0;
  constructor(
    readonly buf: Buffer,
    public off: number,
    private readonly sizes: number[],
  ) {}

  private len(): number {
    const n = this.sizes[this.next++]!;
    this.off = writeVarint(this.buf, this.off, n);
    return n;
  }

  private text(tag: number, s: string): void {
    const { buf } = this;
    buf[this.off++] = tag;
    const n = this.len();
    // As many bytes as UTF-16 units means ASCII: short keys and values are copied here,
    // cheaper than a call into Buffer#write for each.
    if (n === s.length && n <= 64) {
      for (let i = 0; i < n; i++) buf[this.off++] = s.charCodeAt(i);
    } else {
      this.off += buf.write(s, this.off, n, 'utf8');
    }
  }

  value(v: StructValue): void {
    const { buf } = this;
    if (isSet(v.numberValue)) {
      buf[this.off++] = T_NUMBER;
      this.off = buf.writeDoubleLE(v.numberValue!, this.off);
    } else if (isSet(v.stringValue)) {
      this.text(T_STRING, v.stringValue!);
    } else if (isSet(v.boolValue)) {
      buf[this.off++] = T_BOOL;
      buf[this.off++] = v.boolValue ? 1 : 0;
    } else if (isSet(v.structValue)) {
      buf[this.off++] = T_STRUCT;
      this.len();
      this.struct(v.structValue!);
    } else if (isSet(v.listValue)) {
      buf[this.off++] = T_LIST;
      this.len();
      for (const item of v.listValue!.values ?? []) {
        buf[this.off++] = T_ITEM;
        this.len();
        this.value(item);
      }
    } else {
      buf[this.off++] = T_NULL;
      buf[this.off++] = 0;
    }
  }

  struct(s: Struct): void {
    const fields = s.fields ?? {};
    for (const k in fields) {
      this.buf[this.off++] = T_ENTRY;
      this.len();
      this.text(T_KEY, k);
      this.buf[this.off++] = T_VALUE;
      this.len();
      this.value(fields[k]!);
    }
  }
}

/**
 * `head` (a message already encoded without the field) followed by the Struct as field
 * `field` (below 16: a one-byte tag) of the same message: protobuf readers take fields in
 * any order.
 */
export function appendStructField(head: Uint8Array, field: number, s: Struct): Buffer {
  const sizes: number[] = [];
  const body = sizeStruct(s, sizes);
  const buf = Buffer.allocUnsafe(head.length + 1 + delimited(body));
  buf.set(head, 0);
  let off = head.length;
  buf[off++] = (field << 3) | 2;
  off = writeVarint(buf, off, body);
  new Writer(buf, off, sizes).struct(s);
  return buf;
}
