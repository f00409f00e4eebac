// A pool request crosses from the router-level filter, which selected it, to the upstream
// filter, which translates each attempt for the member Envoy picked. Envoy gives the upstream
// filter the router-level filter's `llm_extproc` metadata on every attempt, unchanged, while
// the request headers arrive as the previous attempt left them. So the request as the client
// sent it rides there, and no state is shared between streams: the upstream stream may land
// on any processor replica.
import type { CompiledPool, PoolMember } from '../config/compile.js';
import { CLIENT_CREDENTIAL_HEADERS } from '../auth/static-key.js';
import { RouteType } from '../config/schema.js';
import { templateValues } from '../config/templates.js';
import { GatewayError } from '../errors.js';
import type { Selection, SelectionSource } from './select.js';

interface Wire {
  p: string;
  q: string;
  s: SelectionSource;
  m?: string;
  d?: string;
  r?: string;
  c?: Record<string, string>;
  /** Request headers, pseudo-headers included, as the attempt starts from them. */
  h: [string, string][];
}

export interface PoolRequest {
  selection: Selection;
  headers: ReadonlyMap<string, string>;
}

/** @param headers the request as the upstream filter should start each attempt from (gateway headers already removed). */
export function encodePoolRequest(sel: Selection, headers: ReadonlyMap<string, string>): string {
  const passthrough = sel.pool!.members.some((m) => m.backend.keyAuth.kind === 'passthrough');
  // Client credentials stay out of the metadata unless a member passes them on.
  const h = [...headers].filter(([k]) => passthrough || !CLIENT_CREDENTIAL_HEADERS.includes(k));
  const w: Wire = { p: sel.path, q: sel.query, s: sel.source, h };
  if (sel.model !== undefined) w.m = sel.model;
  if (sel.deployment !== undefined) w.d = sel.deployment;
  if (sel.routeType !== undefined) w.r = sel.routeType;
  if (Object.keys(sel.values.captures).length > 0) w.c = sel.values.captures;
  return JSON.stringify(w);
}

/** The request for one attempt: the pool's, sent to `member` with the member's model. */
export function decodePoolRequest(pool: CompiledPool, member: PoolMember, encoded: unknown): PoolRequest {
  let w: Wire;
  try {
    w = JSON.parse(String(encoded)) as Wire;
  } catch {
    throw new GatewayError('internal_error', `pool "${pool.name}": the request from the router-level filter is missing or unreadable (is the upstream filter forwarded the llm_extproc metadata?)`);
  }
  const headers = new Map(w.h);
  const rt = RouteType.safeParse(w.r);
  const selection: Selection = {
    backend: member.backend,
    pool,
    source: w.s,
    path: w.p,
    query: w.q,
    model: member.model ?? w.m,
    deployment: w.d,
    routeType: rt.success ? rt.data : undefined,
    values: templateValues(headers, w.q, w.c),
  };
  return { selection, headers };
}

export function poolMember(pool: CompiledPool, name: string | undefined): PoolMember {
  const m = pool.members.find((x) => x.backend.name === name);
  if (!m) throw new GatewayError('internal_error', `pool "${pool.name}" has no member "${name ?? ''}" (the Envoy cluster and the config disagree)`);
  return m;
}
