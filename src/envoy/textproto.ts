// Envoy sends the `xds.route_metadata` attribute as a protobuf text-format string
// (its CEL layer renders messages that way). This reads that text back into plain
// values: just enough of the format for envoy.config.core.v3.Metadata.

type Node = { [field: string]: (string | number | boolean | Node)[] };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{}:<>\[\],])|([^\s{}:<>\[\],"']+))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m[0] !== '') tokens.push(m[1] ?? m[2] ?? m[3]!);
  return tokens;
}

/** Text-format strings escape non-ASCII as octal bytes (\303\274): decode them as UTF-8. */
function unquote(s: string): string {
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  const SIMPLE: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const e = body[++i] ?? '';
    const oct = /^[0-7]{1,3}/.exec(body.slice(i));
    const hex = /^x[0-9a-fA-F]{1,2}/.exec(body.slice(i));
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += oct[0].length - 1;
    } else if (hex) {
      bytes.push(parseInt(hex[0].slice(1), 16));
      i += hex[0].length - 1;
    } else bytes.push(SIMPLE[e] ?? e.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

function scalar(tok: string): string | number | boolean {
  if (tok.startsWith('"') || tok.startsWith("'")) return unquote(tok);
  if (tok === 'true') return true;
  if (tok === 'false') return false;
  const n = Number(tok);
  return Number.isNaN(n) ? tok : n;
}

function parseMessage(tokens: string[], pos: { i: number }, close?: string): Node {
  const node: Node = {};
  while (pos.i < tokens.length) {
    const name = tokens[pos.i++]!;
    if (name === close) return node;
    let tok = tokens[pos.i++];
    if (tok === ':') tok = tokens[pos.i++];
    let value: string | number | boolean | Node;
    if (tok === '{' || tok === '<') value = parseMessage(tokens, pos, tok === '{' ? '}' : '>');
    else value = scalar(tok ?? '');
    (node[name] ??= []).push(value);
  }
  return node;
}

function structValue(v: Node | undefined): unknown {
  if (!v) return null;
  if (v.string_value) return v.string_value[0];
  if (v.number_value) return Number(v.number_value[0]);
  if (v.bool_value) return v.bool_value[0] === true || v.bool_value[0] === 'true';
  if (v.struct_value) return struct(v.struct_value[0] as Node);
  if (v.list_value) return ((v.list_value[0] as Node).values ?? []).map((x) => structValue(x as Node));
  return null;
}

function struct(s: Node | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of (s?.fields ?? []) as Node[]) out[String(entry.key?.[0])] = structValue(entry.value?.[0] as Node);
  return out;
}

/** `filter_metadata { key: "ns" value { fields { ... } } }` -> {ns: {...}}. */
export function parseMetadataText(text: string): Record<string, Record<string, unknown>> {
  const root = parseMessage(tokenize(text), { i: 0 });
  const out: Record<string, Record<string, unknown>> = {};
  for (const entry of (root.filter_metadata ?? []) as Node[]) out[String(entry.key?.[0])] = struct(entry.value?.[0] as Node);
  return out;
}
