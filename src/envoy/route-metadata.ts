// Reading route metadata as ext_proc delivers it. With `request_attributes:
// [xds.route_metadata]` Envoy 1.40 sends the route's envoy.config.core.v3.Metadata as ONE
// string in protobuf text format (`filter_metadata { key: "llm_extproc" value { fields
// { key: "backend" value { string_value: "openai" } } } }`), not as a Struct; narrower
// CEL paths to a namespace arrive as the string "CelMap value". This turns that text
// back into plain values per namespace.

type Scalar = { str: Buffer } | { word: string };
type Field = Scalar | TextMessage;
interface TextMessage {
  fields: Map<string, Field[]>;
}

type Token = { kind: 'punct'; value: string } | { kind: 'word'; value: string } | { kind: 'string'; value: Buffer };

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ('{}:[]<>,;'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if (c === '"' || c === "'") {
      // C-style escapes; \NNN octal and \xHH are raw bytes (UTF-8 text arrives this way).
      const bytes: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated string in route metadata');
        const ch = text[i]!;
        if (ch === c) break;
        if (ch !== '\\') {
          const cp = text.codePointAt(i)!;
          bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
          i += cp > 0xffff ? 2 : 1;
          continue;
        }
        const e = text[i + 1] ?? '';
        const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
        const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(i + 1, i + 4));
        if (oct) {
          bytes.push(parseInt(oct[0], 8) & 0xff);
          i += 1 + oct[0].length;
        } else if (hex) {
          bytes.push(parseInt(hex[1]!, 16));
          i += 1 + hex[0].length;
        } else if (e in ESCAPES) {
          bytes.push(ESCAPES[e]!);
          i += 2;
        } else {
          throw new Error(`unknown escape \\${e} in route metadata`);
        }
      }
      i++;
      tokens.push({ kind: 'string', value: Buffer.from(bytes) });
    } else {
      const m = /^[A-Za-z0-9_.+\-/]+/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected character ${JSON.stringify(c)} in route metadata`);
      tokens.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

function parseMessage(tokens: Token[], pos: { i: number }, close?: string): TextMessage {
  const msg: TextMessage = { fields: new Map() };
  for (;;) {
    const t = tokens[pos.i];
    if (!t) {
      if (close) throw new Error('route metadata ends inside a message');
      return msg;
    }
    if (t.kind === 'punct' && t.value === close) {
      pos.i++;
      return msg;
    }
    if (t.kind === 'punct' && (t.value === ',' || t.value === ';')) {
      pos.i++;
      continue;
    }
    let name: string;
    if (t.kind === 'word') {
      name = t.value;
      pos.i++;
    } else if (t.kind === 'punct' && t.value === '[') {
      // Extension or Any type URL: [type.googleapis.com/...]
      const parts: string[] = [];
      pos.i++;
      while (tokens[pos.i] && !(tokens[pos.i]!.kind === 'punct' && tokens[pos.i]!.value === ']')) {
        parts.push(String(tokens[pos.i]!.value));
        pos.i++;
      }
      pos.i++;
      name = `[${parts.join('')}]`;
    } else {
      throw new Error('expected a field name in route metadata');
    }
    let next = tokens[pos.i];
    if (next?.kind === 'punct' && next.value === ':') next = tokens[++pos.i];
    let value: Field;
    if (next?.kind === 'punct' && (next.value === '{' || next.value === '<')) {
      pos.i++;
      value = parseMessage(tokens, pos, next.value === '{' ? '}' : '>');
    } else if (next?.kind === 'string') {
      // Adjacent literals concatenate, as in C.
      const parts: Buffer[] = [];
      while (tokens[pos.i]?.kind === 'string') parts.push(tokens[pos.i++]!.value as Buffer);
      value = { str: Buffer.concat(parts) };
    } else if (next?.kind === 'word') {
      pos.i++;
      value = { word: next.value };
    } else {
      throw new Error(`expected a value for ${name} in route metadata`);
    }
    const list = msg.fields.get(name) ?? [];
    list.push(value);
    msg.fields.set(name, list);
  }
}

function isMessage(f: Field | undefined): f is TextMessage {
  return !!f && 'fields' in f;
}

function scalarText(f: Field | undefined): string | undefined {
  if (!f || isMessage(f)) return undefined;
  return 'str' in f ? f.str.toString('utf8') : f.word;
}

function toNumber(word: string): number {
  const w = word.toLowerCase();
  if (w === 'inf' || w === 'infinity') return Infinity;
  if (w === '-inf' || w === '-infinity') return -Infinity;
  if (w === 'nan') return NaN;
  return Number(word);
}

function valueOf(v: Field | undefined): unknown {
  if (!isMessage(v)) return null;
  const one = (name: string) => v.fields.get(name)?.[0];
  if (v.fields.has('string_value')) return scalarText(one('string_value')) ?? '';
  if (v.fields.has('number_value')) return toNumber(scalarText(one('number_value')) ?? 'NaN');
  if (v.fields.has('bool_value')) return scalarText(one('bool_value')) === 'true';
  if (v.fields.has('struct_value')) return structOf(one('struct_value'));
  if (v.fields.has('list_value')) {
    const list = one('list_value');
    return isMessage(list) ? (list.fields.get('values') ?? []).map(valueOf) : [];
  }
  return null;
}

function structOf(s: Field | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isMessage(s)) return out;
  for (const entry of s.fields.get('fields') ?? []) {
    if (!isMessage(entry)) continue;
    const key = scalarText(entry.fields.get('key')?.[0]);
    if (key !== undefined) out[key] = valueOf(entry.fields.get('value')?.[0]);
  }
  return out;
}

/**
 * `filter_metadata` of a text-format envoy.config.core.v3.Metadata, as plain values per
 * namespace. Empty text (a route without metadata) gives {}. Throws on malformed text.
 */
export function parseRouteMetadataText(text: string): Record<string, Record<string, unknown>> {
  const root = parseMessage(tokenize(text), { i: 0 });
  const out: Record<string, Record<string, unknown>> = {};
  for (const entry of root.fields.get('filter_metadata') ?? []) {
    if (!isMessage(entry)) continue;
    const ns = scalarText(entry.fields.get('key')?.[0]);
    if (ns !== undefined) out[ns] = structOf(entry.fields.get('value')?.[0]);
  }
  return out;
}

/**
 * One namespace of route metadata from an `xds.route_metadata` attribute value, whether
 * Envoy sent text format (1.40) or, should a later version do so, a decoded object.
 */
export function routeMetadataNamespace(attribute: unknown, namespace: string): Record<string, unknown> | undefined {
  if (typeof attribute === 'string') {
    if (!attribute.trim()) return undefined;
    return parseRouteMetadataText(attribute)[namespace];
  }
  if (attribute && typeof attribute === 'object') {
    const fm = (attribute as { filter_metadata?: Record<string, unknown> }).filter_metadata;
    const ns = fm?.[namespace];
    return ns && typeof ns === 'object' ? (ns as Record<string, unknown>) : undefined;
  }
  return undefined;
}
