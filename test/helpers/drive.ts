// Drives a RequestProcessor with ext_proc messages shaped as Envoy sends them,
// without Envoy: for golden translator fixtures and unit tests. The e2e suite
// proves the same paths against a real Envoy.
import type { RuntimeConfig } from '../../src/config/compile.js';
import { parseConfigObject } from '../../src/config/load.js';
import { RequestProcessor } from '../../src/processor/request.js';
import type { HeaderMutation, ProcessingResponse, Struct } from '../../src/extproc/types.js';
import { logger } from '../../src/logger.js';
import { fromStruct } from '../../src/extproc/struct.js';

export function headerList(h: Record<string, string>) {
  return { headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
}

export function applyMutation(headers: Record<string, string>, m: HeaderMutation | undefined): Record<string, string> {
  const out = { ...headers };
  for (const k of m?.remove_headers ?? []) delete out[k];
  for (const s of m?.set_headers ?? []) out[s.header.key] = Buffer.from(s.header.raw_value ?? []).toString();
  return out;
}

export interface DriveRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Raw body bytes instead of JSON. */
  rawBody?: Buffer;
  grpcMetadata?: Record<string, string>;
  attributes?: Record<string, Struct>;
}

export interface DriveUpstream {
  /** Headers (incl. :path, :authority) as the upstream would receive them. */
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** Whether bodies were skipped (mode override on a passthrough route). */
  skipBodies: boolean;
}

export interface DriveResponse {
  status: number;
  headers?: Record<string, string>;
  /** Body as chunks in the order Envoy would deliver them. */
  chunks: Buffer[];
}

export interface DriveResult {
  immediate?: { status: number; body: unknown; headers: Record<string, string> };
  upstream?: DriveUpstream;
  client?: { status: number; headers: Record<string, string>; body: Buffer };
  metadata?: Record<string, unknown>;
  replies: ProcessingResponse[];
}

export function config(raw: unknown): RuntimeConfig {
  return parseConfigObject(raw);
}

/** Runs one request (and, when given, its upstream response) through the processor. */
export async function drive(cfg: RuntimeConfig, req: DriveRequest, respond?: (up: DriveUpstream) => DriveResponse): Promise<DriveResult> {
  const proc = new RequestProcessor({ config: cfg, grpcMetadata: new Map(Object.entries(req.grpcMetadata ?? {})), log: logger });
  const replies: ProcessingResponse[] = [];
  const rawBody = req.rawBody ?? (req.body === undefined ? undefined : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body)));
  let headers: Record<string, string> = {
    ':method': req.method ?? (rawBody ? 'POST' : 'GET'),
    ':path': req.path,
    ':authority': 'gateway.local',
    ':scheme': 'http',
    'x-request-id': 'test-request',
    ...(rawBody ? { 'content-type': 'application/json', 'content-length': String(rawBody.length) } : {}),
    ...req.headers,
  };
  const immediate = (r: ProcessingResponse): DriveResult | undefined => {
    if (!r.immediate_response) return undefined;
    const ir = r.immediate_response;
    const body = Buffer.from(ir.body ?? []).toString();
    return { immediate: { status: ir.status.code, body: body ? JSON.parse(body) : undefined, headers: applyMutation({}, ir.headers) }, replies };
  };
  let r = await proc.handle({ request: 'request_headers', request_headers: { headers: headerList(headers), end_of_stream: !rawBody }, attributes: req.attributes });
  replies.push(r);
  const early = immediate(r);
  if (early) return early;
  headers = applyMutation(headers, r.request_headers?.response?.header_mutation);
  const skipBodies = r.mode_override?.request_body_mode === 0 && r.mode_override?.response_body_mode === 0;
  let body = rawBody;
  if (rawBody && !skipBodies) {
    r = await proc.handle({ request: 'request_body', request_body: { body: rawBody, end_of_stream: true } });
    replies.push(r);
    const late = immediate(r);
    if (late) return late;
    const c = r.request_body?.response;
    headers = applyMutation(headers, c?.header_mutation);
    if (c?.body_mutation?.body) body = Buffer.from(c.body_mutation.body);
  }
  const upstream: DriveUpstream = { headers, body, skipBodies };
  if (!respond) return { upstream, replies };
  const res = respond(upstream);
  const resHeaders = { ':status': String(res.status), ...(res.headers ?? {}) };
  r = await proc.handle({ request: 'response_headers', response_headers: { headers: headerList(resHeaders), end_of_stream: res.chunks.length === 0 } });
  replies.push(r);
  const ih = immediate(r);
  if (ih) return { ...ih, upstream };
  let clientHeaders = applyMutation(resHeaders, r.response_headers?.response?.header_mutation);
  // CONTINUE_AND_REPLACE: a body for a response that came without one.
  const replacedAtHeaders = r.response_headers?.response?.status === 1 ? r.response_headers.response.body_mutation?.body : undefined;
  const skipResponseBody = r.mode_override?.response_body_mode === 0 || skipBodies;
  // BUFFERED (2): Envoy collects the whole body and sends it in one message.
  const chunks = r.mode_override?.response_body_mode === 2 ? [Buffer.concat(res.chunks)] : res.chunks;
  const out: Buffer[] = replacedAtHeaders ? [Buffer.from(replacedAtHeaders)] : [];
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (skipResponseBody) {
      out.push(chunk);
      continue;
    }
    r = await proc.handle({ request: 'response_body', response_body: { body: chunk, end_of_stream: i === chunks.length - 1 } });
    replies.push(r);
    const ib = immediate(r);
    if (ib) return { ...ib, upstream };
    clientHeaders = applyMutation(clientHeaders, r.response_body?.response?.header_mutation);
    const m = r.response_body?.response?.body_mutation;
    out.push(m?.body ? Buffer.from(m.body) : m?.clear_body ? Buffer.alloc(0) : chunk);
  }
  return { upstream, client: { status: res.status, headers: clientHeaders, body: Buffer.concat(out) }, metadata: mergedMetadata(replies), replies };
}

/** The llm_extproc namespace as Envoy ends up with it: every reply's keys merged over the earlier ones. */
export function mergedMetadata(replies: ProcessingResponse[]): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const r of replies) {
    if (!r.dynamic_metadata) continue;
    const ns = fromStruct(r.dynamic_metadata).llm_extproc as Record<string, unknown> | undefined;
    if (ns) out = { ...out, ...ns };
  }
  return out;
}

/** Splits bytes into chunks of `size` (the last may be shorter). */
export function splitEvery(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out.length ? out : [Buffer.alloc(0)];
}

/** Cuts bytes at the given offsets (taken modulo length + 1, deduplicated, in order). */
export function cutAt(buf: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}
