// One upstream attempt of a pool request, in the upstream ext_proc filter that Envoy runs in
// the pool's cluster once per attempt, after it has picked the member. The request is
// translated and signed for that member (a fallback from Anthropic to Bedrock gets a SigV4
// Converse body); the response headers are marked with the member, so the router-level filter
// translates the answer that reached the client and counts it once.
import type { RuntimeConfig } from '../config/compile.js';
import type { DialectName } from '../dialects/types.js';
import { MEMBER_ATTRIBUTE, METADATA_NAMESPACE, POOL_METADATA_KEY, POOL_REQUEST_KEY } from '../envoy/metadata-keys.js';
import { GatewayError } from '../errors.js';
import { fromStruct } from '../extproc/struct.js';
import { headerMap, MutationBuilder } from '../extproc/headers.js';
import type { CommonResponse, HeaderMutation, HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse } from '../extproc/types.js';
import type { Logger } from '../logger.js';
import { decodePoolRequest, poolMember, type PoolRequest } from '../routing/handoff.js';
import { upstreamAttempts } from '../telemetry/metrics.js';
import { asGatewayError, errorReply } from './error-reply.js';
import { operationOf, parseJson, plan, upstreamMutation } from './translate.js';
import { BACKEND_HEADER } from './upstream.js';

export interface AttemptContext {
  config: RuntimeConfig;
  grpcMetadata: ReadonlyMap<string, string>;
  log: Logger;
}

export class AttemptProcessor {
  /** The headers as this attempt found them: the previous attempt's mutations included. */
  private current: ReadonlyMap<string, string> = new Map();
  private attempt: PoolRequest | undefined;
  private dialect: DialectName = 'openai';
  /** This member's own answer (a count the gateway estimates for it): no upstream is called. */
  private local: ProcessingResponse | undefined;
  log: Logger;

  constructor(private readonly ctx: AttemptContext) {
    this.log = ctx.log;
  }

  async handle(req: ProcessingRequest): Promise<ProcessingResponse> {
    try {
      switch (req.request) {
        case 'request_headers':
          return await this.onRequestHeaders(req.request_headers ?? {}, req);
        case 'request_body': {
          const response = await this.prepare(req.request_body ?? {});
          return this.local ?? { request_body: { response } };
        }
        case 'response_headers':
          return this.onResponseHeaders(req.response_headers ?? {});
        case 'response_body':
          return { response_body: {} };
        default:
          throw new Error(`unexpected ext_proc message ${String(req.request)} in the upstream filter`);
      }
    } catch (err) {
      return this.fail(err);
    }
  }

  close(): void {}

  private async onRequestHeaders(h: HttpHeaders, req: ProcessingRequest): Promise<ProcessingResponse> {
    this.current = headerMap(h.headers?.headers);
    const requestId = this.current.get('x-request-id');
    if (requestId) this.log = this.log.child({ requestId });
    const poolName = this.ctx.grpcMetadata.get(POOL_METADATA_KEY) ?? '';
    const pool = this.ctx.config.pools.get(poolName);
    if (!pool) throw new GatewayError('internal_error', `the upstream filter runs for pool "${poolName}", which this config does not have`);
    const member = poolMember(pool, memberName(req));
    const md = fromStruct(req.metadata_context?.filter_metadata?.[METADATA_NAMESPACE]);
    this.attempt = decodePoolRequest(pool, member, md[POOL_REQUEST_KEY]);
    this.dialect = operationOf(this.attempt.selection, member.backend).dialect;
    this.log = this.log.child({ pool: pool.name, backend: member.backend.name });
    if (!h.end_of_stream) return { request_headers: {} };
    return { request_headers: { response: await this.prepare(undefined) } };
  }

  private async prepare(b: HttpBody | undefined): Promise<CommonResponse> {
    const { selection, headers } = this.attempt!;
    const raw = b?.body && b.body.length > 0 ? b.body : undefined;
    const body = raw ? parseJson(raw) : undefined;
    const p = plan(selection, headers, body, raw);
    if (p.up.localAnswer) {
      // The router-level filter translates (passes) it as this member's answer, named by the header.
      const a = await p.up.localAnswer();
      const h = new MutationBuilder().setHeader(BACKEND_HEADER, selection.backend.name);
      for (const [k, v] of Object.entries(a.headers)) h.setHeader(k, v);
      this.local = { immediate_response: { status: { code: a.status }, headers: h.build(), body: a.body, details: 'llm_extproc_local_answer' } };
      return {};
    }
    const m = await upstreamMutation(this.ctx.config, selection, headers.get(':method') ?? 'POST', headers, p, raw);
    // Route cache clearing means nothing here: the cluster and host are chosen already.
    return { header_mutation: reconcile(this.current, headers, m.header_mutation), ...(m.body_mutation ? { body_mutation: m.body_mutation } : {}) };
  }

  private onResponseHeaders(h: HttpHeaders): ProcessingResponse {
    const sel = this.attempt?.selection;
    const status = headerMap(h.headers?.headers).get(':status') ?? '0';
    if (sel) upstreamAttempts.inc({ pool: sel.pool!.name, backend: sel.backend.name, status });
    // Overwritten whatever the provider sent: the router-level filter trusts it to name the member.
    const mut = new MutationBuilder();
    if (sel) mut.setHeader(BACKEND_HEADER, sel.backend.name);
    return { response_headers: { response: { header_mutation: mut.build() } } };
  }

  /** A member that cannot take this request answers in the client's dialect, like the router-level filter. */
  fail(err: unknown): ProcessingResponse {
    const e = asGatewayError(err, this.log, 'preparing an upstream attempt');
    return errorReply(e, this.dialect, this.attempt ? { [BACKEND_HEADER]: this.attempt.selection.backend.name } : {});
  }

}

function memberName(req: ProcessingRequest): string | undefined {
  for (const perFilter of Object.values(req.attributes ?? {})) {
    const v = fromStruct(perFilter)[MEMBER_ATTRIBUTE];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * The mutation that turns the headers this attempt found into the request `start` plus `m`:
 * what an earlier attempt set for another provider (its key, its path, its signature) goes.
 * Envoy's own per-attempt headers (x-envoy-*) stay.
 */
function reconcile(current: ReadonlyMap<string, string>, start: ReadonlyMap<string, string>, m: HeaderMutation | undefined): HeaderMutation | undefined {
  const wanted = new Map(start);
  for (const k of m?.remove_headers ?? []) wanted.delete(k);
  for (const s of m?.set_headers ?? []) wanted.set(s.header.key, Buffer.from(s.header.raw_value ?? []).toString('utf8'));
  const out = new MutationBuilder();
  for (const [k, v] of wanted) if (current.get(k) !== v) out.setHeader(k, v);
  for (const k of current.keys()) if (!wanted.has(k) && !k.startsWith(':') && !k.startsWith('x-envoy-')) out.removeHeader(k);
  return out.build();
}
