// One request's gateway key: who presented it (or a 401), what that principal may use (or a
// 403), and the key's removal: from the headers every later step reads, from the query, and
// from every request that goes on to a provider.
import { allows, type ClientKeys, presentedKey, type Principal } from '../auth/clients.js';
import { GatewayError } from '../errors.js';
import type { CommonResponse } from '../extproc/types.js';

export class GatewayKey {
  /** The header the key came in (removed before the upstream). */
  private header: string | undefined;
  /** The key came as `?key=`: `:path` keeps it, so every upstream path built without it differs and is set. */
  readonly inQuery: boolean = false;

  private constructor(
    readonly principal: Principal,
    /** The request headers without the key. */
    readonly headers: ReadonlyMap<string, string>,
    /** The query string without the key. */
    readonly query: string,
    at: { header: string } | { query: 'key' },
  ) {
    if ('header' in at) this.header = at.header;
    else this.inQuery = true;
  }

  static authenticate(clients: ClientKeys, headers: ReadonlyMap<string, string>, query: string): GatewayKey {
    const presented = presentedKey(headers, query);
    if (!presented) throw new GatewayError('invalid_api_key', 'this gateway needs a key: send it as Authorization: Bearer, x-api-key, api-key, x-goog-api-key or ?key=');
    const principal = clients.authenticate(presented.key);
    if (!principal) throw new GatewayError('invalid_api_key', 'the gateway key is not valid');
    const view = new Map(headers);
    let rest = query;
    if ('header' in presented.at) view.delete(presented.at.header);
    else {
      const q = new URLSearchParams(query);
      q.delete('key');
      rest = q.toString();
    }
    return new GatewayKey(principal, view, rest, presented.at);
  }

  /** A principal restricted to some backends, pools or models gets a 403 for the others. */
  authorize(what: 'backend' | 'model', name: string | undefined): void {
    const p = this.principal;
    const globs = what === 'backend' ? p.backends : p.models;
    if (globs === undefined) return;
    if (name === undefined || !allows(globs, name)) {
      throw new GatewayError('forbidden', name === undefined ? `client "${p.name}" may use only some models, and this request names none` : `client "${p.name}" may not use ${what} "${name}"`);
    }
  }

  /** The key leaves with every request that goes on. */
  strip(r: CommonResponse): CommonResponse {
    const h = this.header;
    if (!h) return r;
    const m = r.header_mutation ?? { set_headers: [], remove_headers: [] };
    if (!m.set_headers?.some((x) => x.header.key === h) && !m.remove_headers?.includes(h)) m.remove_headers = [...(m.remove_headers ?? []), h];
    return { ...r, header_mutation: m };
  }
}
