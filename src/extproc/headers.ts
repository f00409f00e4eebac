// Header plumbing between Envoy's HeaderMap and plain maps, and a small builder for
// HeaderMutation. Envoy sends and reads values only in raw_value.
import type { HeaderMutation, HeaderValue } from './types.js';

export function headerMap(headers: HeaderValue[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of headers ?? []) {
    const raw = h.raw_value;
    // The server's codec hands raw_value over as a Buffer: decoded in place, not copied first.
    const value = raw && raw.length > 0 ? (Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.from(raw).toString('utf8')) : (h.value ?? '');
    const key = h.key.toLowerCase();
    // Repeated headers arrive as separate entries; join them as HTTP would.
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : `${prev},${value}`);
  }
  return out;
}

/** The longest model name the gateway takes: it is echoed in `x-llm-model` and logged. */
export const MAX_MODEL_CHARS = 512;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A client value that may go into a header: no control characters (CR, LF, NUL…), bounded length. */
export function headerSafe(v: string, max = MAX_MODEL_CHARS): boolean {
  return v.length <= max && !CONTROL.test(v);
}

export class MutationBuilder {
  private readonly set = new Map<string, string>();
  private readonly remove = new Set<string>();

  setHeader(name: string, value: string): this {
    const key = name.toLowerCase();
    this.remove.delete(key);
    this.set.set(key, value);
    return this;
  }

  removeHeader(name: string): this {
    const key = name.toLowerCase();
    if (!this.set.has(key)) this.remove.add(key);
    return this;
  }

  has(name: string): boolean {
    return this.set.has(name.toLowerCase());
  }

  get empty(): boolean {
    return this.set.size === 0 && this.remove.size === 0;
  }

  build(): HeaderMutation | undefined {
    if (this.empty) return undefined;
    return {
      // append left unset: ext_proc then overwrites an existing header.
      set_headers: [...this.set].map(([key, value]) => ({ header: { key, raw_value: Buffer.from(value, 'utf8') } })),
      remove_headers: [...this.remove],
    };
  }
}
