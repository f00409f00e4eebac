// Kong-style templates (seed 002): `$(headers.x)`, `$(uri_captures.x)`, `$(query_params.x)`.
// Compiled once at config load; rendering a template whose value the request lacks
// is a 400 template_value_missing naming the key.
import { GatewayError } from '../errors.js';

export interface TemplateValues {
  headers: ReadonlyMap<string, string>;
  captures: Readonly<Record<string, string>>;
  query: URLSearchParams;
}

const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A request's template values; the query string is parsed only when a template reads it (most
 * never do). A class, not an object literal with a getter: V8 builds those through a slow path
 * on every request.
 */
class RequestValues implements TemplateValues {
  private parsed: URLSearchParams | undefined;
  constructor(
    readonly headers: ReadonlyMap<string, string>,
    private readonly rawQuery: string,
    readonly captures: Readonly<Record<string, string>>,
  ) {}
  get query(): URLSearchParams {
    return (this.parsed ??= new URLSearchParams(this.rawQuery));
  }
}

export function templateValues(headers: ReadonlyMap<string, string>, rawQuery: string, captures: Readonly<Record<string, string>> = NO_CAPTURES): TemplateValues {
  return new RequestValues(headers, rawQuery, captures);
}

type Part = string | { source: 'headers' | 'uri_captures' | 'query_params'; key: string };

export interface Template {
  readonly raw: string;
  readonly isStatic: boolean;
  render(values: TemplateValues): string;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const TOKEN = /\$\((headers|uri_captures|query_params)\.([A-Za-z0-9_.-]+)\)/g;

export function templateProblems(raw: string): string[] {
  const stripped = raw.replace(TOKEN, '');
  return stripped.includes('$(') ? [`unknown template in "${raw}": use $(headers.X), $(uri_captures.X) or $(query_params.X)`] : [];
}

export function compileTemplate(raw: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const m of raw.matchAll(TOKEN)) {
    if (m.index > last) parts.push(raw.slice(last, m.index));
    parts.push({ source: m[1] as 'headers', key: m[1] === 'headers' ? m[2]!.toLowerCase() : m[2]! });
    last = m.index + m[0].length;
  }
  if (last < raw.length) parts.push(raw.slice(last));
  const isStatic = parts.every((p) => typeof p === 'string');
  return {
    raw,
    isStatic,
    render(values) {
      if (isStatic) return raw;
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        const v =
          p.source === 'headers'
            ? values.headers.get(p.key)
            : p.source === 'uri_captures'
              ? values.captures[p.key]
              : (values.query.get(p.key) ?? undefined);
        if (v === undefined || v === '') {
          throw new GatewayError('template_value_missing', `the request has no value for $(${p.source}.${p.key})`, `${p.source}.${p.key}`);
        }
        // Rendered values go into paths, hosts and headers: a decoded query parameter may hold CR/LF.
        if (CONTROL.test(v)) throw new GatewayError('invalid_request', `$(${p.source}.${p.key}) holds control characters`, `${p.source}.${p.key}`);
        out += v;
      }
      return out;
    },
  };
}

/** Renders every string leaf of a provider-options object. */
export function renderOptions(options: Record<string, unknown>, values: TemplateValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    out[k] = typeof v === 'string' && v.includes('$(') ? compileTemplate(v).render(values) : v;
  }
  return out;
}
