// One HTTP request's life in the processor: a state object with one method per
// ext_proc phase. It knows routing, route types and the translator interface;
// provider specifics stay behind ProviderSpec/Translator.
import type { RuntimeConfig } from '../config/compile.js';
import type { RouteType } from '../config/schema.js';
import { detectDialect, guessDialect, renderError, validateRequest } from '../dialects/index.js';
import type { DialectName } from '../dialects/types.js';
import type { Translator } from '../providers/types.js';
import { decodePoolRequest, encodePoolRequest, poolMember } from '../routing/handoff.js';
import { type EnvoyHints, type RequestFacts, routeTypeFor, type Selection, selectByModel, selectWithoutBody } from '../routing/select.js';
import { BodySendMode, type CommonResponse, CommonResponseStatus, type HttpBody, type HttpHeaders, type ProcessingRequest, type ProcessingResponse } from '../extproc/types.js';
import type { Logger } from '../logger.js';
import { ERROR_CODE_HEADER } from '../envoy/metadata-keys.js';
import type { ClientKeys } from '../auth/clients.js';
import { GatewayKey } from './gateway-key.js';
import { RequestAccount } from './accounting.js';
import { asGatewayError, errorReply } from './error-reply.js';
import { codeDetails, envoyReplyError } from './envoy-reply.js';
import { envoyHints } from '../envoy/hints.js';
import { modelsResponse } from './models-list.js';
import { GatewayError } from '../errors.js';
import { headerMap, MutationBuilder } from '../extproc/headers.js';
import { withBasePath } from '../providers/shared/base-path.js';
import { operationOf, parseJson, type Plan, plan, upstreamMutation } from './translate.js';
import { BACKEND_HEADER, upstreamHeaders } from './upstream.js';

export interface RequestContext {
  config: RuntimeConfig;
  /** gRPC initial metadata of the stream (ExtProcPerRoute grpc_initial_metadata lands here). */
  grpcMetadata: ReadonlyMap<string, string>;
  log: Logger;
}

const SKIP_BODIES = { request_body_mode: BodySendMode.NONE, response_body_mode: BodySendMode.NONE };

export class RequestProcessor {
  private dialect: DialectName = 'openai';
  private headers: ReadonlyMap<string, string> = new Map();
  private facts: RequestFacts | undefined;
  private hints: EnvoyHints = {};
  private selection: Selection | undefined;
  private routeType: RouteType = 'completions';
  private translator: Translator | undefined;
  private requestModel: string | undefined;
  /** The gateway key and its principal, when clients are configured. */
  private key: GatewayKey | undefined;
  /** The pool member that answered (the response's x-llm-backend names it). */
  private answeredBy: string | undefined;
  /** A pool request as handed to the upstream filter, and its body: the answer of whichever member gave it is translated from them. */
  private pool: { request: string; body: Record<string, unknown> | undefined; raw: Buffer | undefined } | undefined;
  /** The gateway's own answer to the request (a translator's localAnswer), sent instead of the request body reply. */
  private local: ProcessingResponse | undefined;
  /** The response body is rewritten whole: Envoy buffers it and holds the headers back. */
  private bufferResponse = false;
  private account: RequestAccount | undefined;
  log: Logger;

  constructor(private readonly ctx: RequestContext) {
    this.log = ctx.log;
  }

  handle(req: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse> {
    // A phase that does not await (response headers, body chunks) is answered synchronously:
    // no promise and no microtask hop per SSE event.
    let r: ProcessingResponse | Promise<ProcessingResponse>;
    try {
      r = this.phase(req);
    } catch (err) {
      return this.withMetadata(this.fail(err));
    }
    if (r instanceof Promise) return r.then((reply) => this.withMetadata(reply), (err: unknown) => this.withMetadata(this.fail(err)));
    return this.withMetadata(r);
  }

  /** Every reply carries whatever the accounting learnt since the last one. */
  private withMetadata(reply: ProcessingResponse): ProcessingResponse {
    const md = this.account?.take();
    if (md) reply.dynamic_metadata = md;
    return reply;
  }

  /** Envoy ended the ext_proc stream (normally after the last reply; early when the client hung up). */
  close(): void {
    this.account?.abandoned();
  }

  private phase(req: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse> {
    switch (req.request) {
      case 'request_headers':
        return this.onRequestHeaders(req.request_headers ?? {}, req);
      case 'request_body':
        return this.onRequestBody(req.request_body ?? {});
      case 'response_headers':
        return this.onResponseHeaders(req.response_headers ?? {}, req.attributes);
      case 'response_body':
        return this.onResponseBody(req.response_body ?? {});
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      default:
        throw new Error(`unexpected ext_proc message ${String(req.request)}`);
    }
  }

  /**
   * The client's dialect goes into Envoy's dynamic metadata as soon as it is known, so
   * Envoy's own error replies (upstream unreachable, timeouts) can use its error shape.
   */
  private setDialect(d: DialectName): void {
    this.dialect = d;
    this.account?.dialect(d);
  }

  private get cfg(): RuntimeConfig {
    return this.ctx.config;
  }

  private async onRequestHeaders(h: HttpHeaders, req: ProcessingRequest): Promise<ProcessingResponse> {
    this.headers = headerMap(h.headers?.headers);
    const rawPath = this.headers.get(':path') ?? '/';
    const q = rawPath.indexOf('?');
    this.facts = {
      method: this.headers.get(':method') ?? 'GET',
      path: q === -1 ? rawPath : rawPath.slice(0, q),
      query: q === -1 ? '' : rawPath.slice(q + 1),
      headers: this.headers,
    };
    const requestId = this.headers.get('x-request-id');
    if (requestId) this.log = this.log.child({ requestId });
    this.account = new RequestAccount(() => this.log, this.headers, this.ctx.grpcMetadata, this.facts.path);
    this.account.pricing = this.cfg.pricing;
    this.setDialect(guessDialect(this.facts.path, this.headers));
    this.hints = envoyHints(this.ctx.grpcMetadata, req.attributes);

    let headerBytes = 0;
    for (const [k, v] of this.headers) headerBytes += k.length + v.length;
    if (headerBytes > this.cfg.maxRequestHeaderBytes) {
      throw new GatewayError('request_headers_too_large', `the request headers are ${headerBytes} bytes; the limit is ${this.cfg.maxRequestHeaderBytes}`);
    }
    const length = Number(this.headers.get('content-length') ?? 0);
    if (length > this.cfg.maxRequestBytes) {
      throw new GatewayError('request_too_large', `the request body is ${length} bytes; the limit is ${this.cfg.maxRequestBytes}`);
    }
    if (this.cfg.clients) this.authenticate(this.cfg.clients);
    const hasBody = !h.end_of_stream;
    const sel = selectWithoutBody(this.cfg, this.facts, this.hints, hasBody);
    if (sel === 'needs-body') return { request_headers: {} };
    this.select(sel);
    if (this.routeType === 'passthrough') {
      return { request_headers: { response: this.passthroughMutation() }, mode_override: SKIP_BODIES };
    }
    if (!hasBody) {
      const local = this.localAnswer(sel);
      if (local) return local;
      return { request_headers: { response: await this.prepare(undefined) } };
    }
    // Completions with a body: everything is decided once the buffered body arrives.
    return { request_headers: {} };
  }

  private async onRequestBody(b: HttpBody): Promise<ProcessingResponse> {
    const raw = b.body ?? Buffer.alloc(0);
    if (raw.length > this.cfg.maxRequestBytes) {
      throw new GatewayError('request_too_large', `the request body is ${raw.length} bytes; the limit is ${this.cfg.maxRequestBytes}`);
    }
    let parsed: Record<string, unknown> | undefined;
    if (!this.selection) {
      // Only a `models` rule or the default backend can decide: read the body's model (once:
      // the parsed body goes on to the translation).
      parsed = peekBody(raw);
      this.select(selectByModel(this.cfg, this.facts!, typeof parsed?.model === 'string' ? parsed.model : undefined));
      if (this.routeType === 'passthrough') return { request_body: { response: this.passthroughMutation() } };
    }
    const response = await this.prepare(raw, parsed);
    return this.local ?? { request_body: { response } };
  }

  /** Gateway keys: the principal (or a 401), and the key gone from everything after this. */
  private authenticate(clients: ClientKeys): void {
    const key = GatewayKey.authenticate(clients, this.headers, this.facts!.query);
    this.key = key;
    this.account?.client(key.principal.name);
    this.log = this.log.child({ client: key.principal.name });
    this.headers = key.headers;
    this.facts!.headers = key.headers;
    this.facts!.query = key.query;
  }

  private authorize(what: 'backend' | 'model', name: string | undefined): void {
    this.key?.authorize(what, name);
  }

  private withoutGatewayKey(r: CommonResponse): CommonResponse {
    return this.key ? this.key.strip(r) : r;
  }

  private select(sel: Selection): void {
    this.selection = sel;
    this.routeType = routeTypeFor(sel);
    const found = detectDialect(sel.path);
    if (found) this.setDialect(found.dialect);
    const provider = sel.backend.provider;
    this.account?.routed({ backend: sel.pool?.name ?? sel.backend.name, provider: provider.name, providerTelemetryName: provider.telemetryName, routeType: this.routeType });
    this.log = this.log.child({ backend: sel.backend.name, routeType: this.routeType });
    this.authorize('backend', sel.pool?.name ?? sel.backend.name);
  }

  /** Requests the gateway answers itself on a completions route (the models list). */
  private localAnswer(sel: Selection): ProcessingResponse | undefined {
    const op = detectDialect(sel.path);
    if (op?.dialect !== 'openai' || op.operation !== 'models' || this.facts!.method !== 'GET') return undefined;
    // Built before it is counted: an unknown model is a 404, recorded as one.
    const body = Buffer.from(JSON.stringify(modelsResponse(this.cfg, sel)));
    this.account?.answered(200);
    const headers = new MutationBuilder().setHeader('content-type', 'application/json').setHeader(BACKEND_HEADER, sel.backend.name);
    return {
      immediate_response: {
        status: { code: 200 },
        headers: headers.build(),
        body,
        details: 'llm_extproc_models_from_config',
      },
    };
  }

  private passthroughMutation(): CommonResponse {
    const sel = this.selection!;
    // The client's own path, under the endpoint's base path (OpenRouter-style `/api/v1`).
    const path = withBasePath(sel.backend, sel.path) + (sel.query ? `?${sel.query}` : '');
    const mut = upstreamHeaders(this.cfg, sel.backend, this.headers, path);
    return this.withoutGatewayKey({ header_mutation: mut.build(), clear_route_cache: true });
  }

  /** Completions: pick the translator, build the upstream request, authorise it. */
  private async prepare(raw: Buffer | undefined, parsed?: Record<string, unknown>): Promise<CommonResponse> {
    const sel = this.selection!;
    const { dialect, operation } = operationOf(sel, sel.backend);
    this.setDialect(dialect);
    // A body that did not parse is parsed again here, for the client's invalid_json error.
    const body = raw && raw.length > 0 ? (parsed ?? parseJson(raw)) : undefined;
    if (body) validateRequest(dialect, operation, body);
    // The model the client asked for (a pool's name counts); the route's or backend's when it named none.
    const asked = typeof body?.model === 'string' ? body.model : detectDialect(sel.path)?.pathModel;
    // A stored response (retrieve, delete, cancel, input_items) is reached by its id and spends
    // nothing: a gateway key's model allow-list has nothing to check there (its backends still do).
    const spends = operation !== 'responses_state';
    if (sel.pool) {
      if (spends) this.authorize('model', asked ?? sel.model ?? sel.pool.members[0]!.model);
      return this.withoutGatewayKey(await this.handOff(sel, body, raw));
    }
    const p = plan(sel, this.headers, body, raw);
    if (spends) this.authorize('model', asked ?? p.up.model);
    this.adopt(p, body);
    if (p.up.localAnswer) return this.answerLocally(p, sel.backend.name);
    return this.withoutGatewayKey(await upstreamMutation(this.cfg, sel, this.facts!.method, this.headers, p, raw));
  }

  /** A translator that answers the request itself: an immediate response, no upstream. */
  private async answerLocally(p: Plan, backend: string): Promise<CommonResponse> {
    const a = await p.up.localAnswer!();
    this.account?.answered(a.status);
    const headers = new MutationBuilder().setHeader(BACKEND_HEADER, backend);
    if (p.up.model) headers.setHeader('x-llm-model', p.up.model);
    for (const [k, v] of Object.entries(a.headers)) headers.setHeader(k, v);
    this.local = { immediate_response: { status: { code: a.status }, headers: headers.build(), body: a.body, details: 'llm_extproc_local_answer' } };
    return {};
  }

  /** The translator this request's answer goes through, and what accounting needs of it. */
  private adopt(p: Plan, body: Record<string, unknown> | undefined): void {
    this.translator = p.translator;
    this.requestModel = p.up.model;
    this.account?.translated({ translator: p.translator, operation: p.operation, requestModel: p.up.model, body, stream: p.up.stream });
  }

  /**
   * A pool: Envoy picks the member and retries or falls back; the upstream filter translates
   * each attempt. Here the request is routed to the pool's cluster, and handed over as sent.
   */
  private async handOff(sel: Selection, body: Record<string, unknown> | undefined, raw: Buffer | undefined): Promise<CommonResponse> {
    const pool = sel.pool!;
    const mut = new MutationBuilder();
    const start = new Map(this.headers);
    const drop = (name: string) => {
      mut.removeHeader(name);
      start.delete(name);
    };
    for (const name of this.headers.keys()) if (name.startsWith('x-llm-')) drop(name);
    if (this.cfg.selectorHeader) drop(this.cfg.selectorHeader);
    // Translators and usage counting read response bodies: ask for them uncompressed.
    drop('accept-encoding');
    if (this.key?.inQuery) start.set(':path', this.facts!.path + (this.facts!.query ? `?${this.facts!.query}` : ''));
    const request = encodePoolRequest(sel, start);
    // The primary must be able to take it (each member answers for itself in its attempt).
    const primary = decodePoolRequest(pool, pool.members[0]!, request);
    const first = plan(primary.selection, primary.headers, body, raw);
    if (first.up.localAnswer) {
      // Answered by the gateway (an estimate): no member is called, so none can fail over.
      this.adopt(first, body);
      return this.answerLocally(first, primary.selection.backend.name);
    }
    this.pool = { request, body, raw };
    this.account?.poolRequest(request);
    mut.setHeader(BACKEND_HEADER, pool.name);
    return { header_mutation: mut.build(), clear_route_cache: true };
  }

  /**
   * The member the upstream filter named on the response: its answer is translated as its
   * request was, unless the gateway made the answer (its error, already in the client's shape).
   */
  private memberAnswered(headers: ReadonlyMap<string, string>, translate: boolean): void {
    const pool = this.selection!.pool!;
    const { request, body, raw } = this.pool!;
    const member = poolMember(pool, headers.get(BACKEND_HEADER));
    if (translate) {
      const attempt = decodePoolRequest(pool, member, request);
      this.adopt(plan(attempt.selection, attempt.headers, body, raw), body);
    }
    const b = member.backend;
    this.account?.answeredBy({ backend: b.name, provider: b.provider.name, providerTelemetryName: b.provider.telemetryName }, member !== pool.members[0]);
    this.answeredBy = b.name;
  }

  private onResponseHeaders(h: HttpHeaders, attributes: ProcessingRequest['attributes']): ProcessingResponse {
    const headers = headerMap(h.headers?.headers);
    const status = Number(headers.get(':status') ?? 0);
    // Envoy's own replies (upstream unreachable, timeouts) come already in the client's shape,
    // marked by the local_reply_config; the generated routes strip that header from upstream answers.
    const envoyReply = headers.has(ERROR_CODE_HEADER);
    // Where no local_reply_config maps them (Envoy Gateway), the reply's code details say so.
    const details = envoyReply ? undefined : codeDetails(attributes);
    const unmapped = details === undefined ? undefined : envoyReplyError(details, status);
    // A pool's upstream filter names the member on every answer it saw, its own errors included.
    if (this.pool && headers.has(BACKEND_HEADER) && !this.translator) this.memberAnswered(headers, !envoyReply && !unmapped);
    if (unmapped) return this.envoyReplyInDialect(unmapped, status, headers);
    const mut = new MutationBuilder();
    if (this.selection) mut.setHeader(BACKEND_HEADER, this.answeredBy ?? this.selection.backend.name);
    if (this.requestModel) mut.setHeader('x-llm-model', this.requestModel);
    const out: ProcessingResponse = {};
    // A whole document rewritten (not an event stream) is buffered by Envoy, so the headers wait
    // for the translated body: a body that cannot be translated still becomes a clean 502 in
    // the client's dialect, and content-length is exact.
    const eventStream = /event-?stream/i.test(headers.get('content-type') ?? '');
    this.account?.responseHeaders(status, headers, eventStream);
    if (this.routeType === 'passthrough' || !this.translator || envoyReply) {
      // Restated because the selection may have happened after the request headers.
      out.mode_override = SKIP_BODIES;
      this.account?.answered(status);
    } else {
      const res = this.translator.responseHeaders(status, headers);
      for (const name of res.removeHeaders ?? []) mut.removeHeader(name);
      for (const [k, v] of Object.entries(res.setHeaders ?? {})) mut.setHeader(k, v);
      this.bufferResponse = res.rewritesBody && !eventStream && !h.end_of_stream;
      if (this.bufferResponse) out.mode_override = { response_body_mode: BodySendMode.BUFFERED };
      else if (res.rewritesBody) mut.removeHeader('content-length');
      if (h.end_of_stream && res.rewritesBody) {
        // No body at all where one is translated (an empty 200, an error without a body): the
        // translator still says what the client gets, a body in its dialect or a 502.
        const body = this.translator.responseChunk(Buffer.alloc(0), true) ?? Buffer.alloc(0);
        this.account?.responseChunk(true);
        mut.setHeader('content-length', String(body.length));
        out.response_headers = { response: { status: CommonResponseStatus.CONTINUE_AND_REPLACE, header_mutation: mut.build(), body_mutation: { body } } };
        return out;
      }
      if (h.end_of_stream) this.account?.ended();
    }
    out.response_headers = { response: { header_mutation: mut.build() } };
    return out;
  }

  /** Envoy's reply, unmapped by any local_reply_config: the gateway's error in the client's dialect instead of Envoy's text. */
  private envoyReplyInDialect(e: GatewayError, status: number, headers: Map<string, string>): ProcessingResponse {
    const body = renderError(this.dialect, e.shape());
    const mut = new MutationBuilder().setHeader('content-type', 'application/json').setHeader(ERROR_CODE_HEADER, e.code).setHeader('content-length', String(body.length));
    if (e.status !== status) mut.setHeader(':status', String(e.status));
    if (this.selection) mut.setHeader(BACKEND_HEADER, this.answeredBy ?? this.selection.backend.name);
    // Counted as the gateway's error, as a mapped reply is.
    this.account?.responseHeaders(e.status, new Map(headers).set(ERROR_CODE_HEADER, e.code), false);
    this.account?.answered(e.status);
    this.log.info({ code: e.code, details: e.message }, 'Envoy replied itself; answering in the client\'s dialect');
    return { response_headers: { response: { status: CommonResponseStatus.CONTINUE_AND_REPLACE, header_mutation: mut.build(), body_mutation: { body } } }, mode_override: SKIP_BODIES };
  }

  private onResponseBody(b: HttpBody): ProcessingResponse {
    const body = b.body ?? Buffer.alloc(0);
    const end = b.end_of_stream === true;
    const replaced = this.translator?.responseChunk(body, end);
    const response: CommonResponse = {};
    if (replaced !== undefined) {
      response.body_mutation = replaced.length > 0 ? { body: replaced } : { clear_body: true };
      if (this.bufferResponse) response.header_mutation = new MutationBuilder().setHeader('content-length', String(replaced.length)).build();
    }
    this.account?.responseChunk(end);
    return { response_body: { response } };
  }

  /** Turns an error into an immediate response in the client's dialect. */
  fail(err: unknown): ProcessingResponse {
    const e = asGatewayError(err, this.log, 'processing this request');
    // A failure before the request headers were read is still a request that gets counted.
    this.account ??= new RequestAccount(() => this.log, this.headers, this.ctx.grpcMetadata, this.facts?.path ?? '');
    this.account.failed(e);
    return errorReply(e, this.dialect);
  }

}

/** The body as an object, for `models` rules (and then the translation); undefined when it is not a JSON object. */
function peekBody(raw: Buffer): Record<string, unknown> | undefined {
  try {
    return parseJson(raw);
  } catch {
    return undefined;
  }
}
