// One HTTP request's life in the processor: a state object with one method per
// ext_proc phase. It knows routing, route types and the translator interface;
// provider specifics stay behind ProviderSpec/Translator.
import type { CompiledBackend, RuntimeConfig } from '../config/compile.js';
import type { RouteType } from '../config/schema.js';
import { detectDialect, guessDialect, renderError } from '../dialects/index.js';
import type { DialectName, Operation } from '../dialects/types.js';
import type { Translator } from '../providers/types.js';
import { backendModel, type EnvoyHints, type RequestFacts, routeTypeFor, type Selection, selectByModel, selectWithoutBody } from '../routing/select.js';
import { renderOptions } from '../routing/templates.js';
import { BodySendMode, type CommonResponse, type HttpBody, type HttpHeaders, type ProcessingRequest, type ProcessingResponse } from '../server/proto-types.js';
import type { Logger } from '../telemetry/logger.js';
import { namespaced } from '../telemetry/metadata.js';
import { gatewayErrorsTotal, requestsTotal } from '../telemetry/metrics.js';
import { completeUsage } from '../usage/estimate.js';
import { usageMetadata } from '../usage/metadata.js';
import { METADATA_NAMESPACE, envoyHints } from './envoy-hints.js';
import { modelsResponse } from './models-list.js';
import { GatewayError } from './errors.js';
import { headerMap, MutationBuilder } from './headers.js';
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
  /** The client's parsed body, kept for token estimation when the provider reports no usage. */
  private requestBody: unknown;
  private status = 0;
  private readonly startedAt = performance.now();
  private firstByteAt: number | undefined;
  /** The response body is rewritten whole: Envoy buffers it and holds the headers back. */
  private bufferResponse = false;
  private finished = false;
  log: Logger;

  constructor(private readonly ctx: RequestContext) {
    this.log = ctx.log;
  }

  async handle(req: ProcessingRequest): Promise<ProcessingResponse> {
    try {
      switch (req.request) {
        case 'request_headers':
          return this.withDialect(await this.onRequestHeaders(req.request_headers ?? {}, req));
        case 'request_body':
          return this.withDialect(await this.onRequestBody(req.request_body ?? {}));
        case 'response_headers':
          return this.onResponseHeaders(req.response_headers ?? {});
        case 'response_body':
          return this.onResponseBody(req.response_body ?? {});
        case 'request_trailers':
          return { request_trailers: {} };
        case 'response_trailers':
          return { response_trailers: {} };
        default:
          throw new Error(`unexpected ext_proc message ${String(req.request)}`);
      }
    } catch (err) {
      return this.fail(err);
    }
  }

  /**
   * Records the client's dialect in Envoy's dynamic metadata as soon as it is known, so
   * Envoy's own error replies (upstream unreachable, timeouts) can use its error shape.
   */
  private withDialect(reply: ProcessingResponse): ProcessingResponse {
    if (!reply.immediate_response) reply.dynamic_metadata = namespaced(METADATA_NAMESPACE, { client_dialect: this.dialect });
    return reply;
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
    this.dialect = guessDialect(this.facts.path, this.headers);
    this.hints = envoyHints(this.ctx.grpcMetadata, req.attributes);

    const length = Number(this.headers.get('content-length') ?? 0);
    if (length > this.cfg.maxRequestBytes) {
      throw new GatewayError('request_too_large', `the request body is ${length} bytes; the limit is ${this.cfg.maxRequestBytes}`);
    }
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
    if (!this.selection) {
      // Only a `models` rule or the default backend can decide: read the body's model.
      this.select(selectByModel(this.cfg, this.facts!, peekModel(raw)));
      if (this.routeType === 'passthrough') return { request_body: { response: this.passthroughMutation() } };
    }
    return { request_body: { response: await this.prepare(raw) } };
  }

  private select(sel: Selection): void {
    this.selection = sel;
    this.routeType = routeTypeFor(sel);
    const found = detectDialect(sel.path);
    if (found) this.dialect = found.dialect;
    this.log = this.log.child({ backend: sel.backend.name, routeType: this.routeType });
  }

  /** Requests the gateway answers itself on a completions route (the models list). */
  private localAnswer(sel: Selection): ProcessingResponse | undefined {
    const op = detectDialect(sel.path);
    if (op?.dialect !== 'openai' || op.operation !== 'models' || this.facts!.method !== 'GET') return undefined;
    this.finished = true;
    requestsTotal.inc({ backend: sel.backend.name, route_type: this.routeType, status: '200' });
    const headers = new MutationBuilder().setHeader('content-type', 'application/json').setHeader(BACKEND_HEADER, sel.backend.name);
    return {
      immediate_response: {
        status: { code: 200 },
        headers: headers.build(),
        body: Buffer.from(JSON.stringify(modelsResponse(this.cfg, sel))),
        details: 'llm_extproc_models_from_config',
      },
    };
  }

  private passthroughMutation(): CommonResponse {
    const sel = this.selection!;
    const path = sel.path + (sel.query ? `?${sel.query}` : '');
    const mut = upstreamHeaders(this.cfg, sel.backend, this.headers, path);
    return { header_mutation: mut.build(), clear_route_cache: true };
  }

  /** Completions: pick the translator, build the upstream request, authorise it. */
  private async prepare(raw: Buffer | undefined): Promise<CommonResponse> {
    const sel = this.selection!;
    const backend = sel.backend;
    const { dialect, operation } = this.operationOf(sel, backend);
    this.dialect = dialect;
    const body = raw && raw.length > 0 ? parseJson(raw) : undefined;
    this.requestBody = body;
    const options = renderOptions(backend.options, sel.values);
    if (sel.deployment !== undefined) options.deployment = sel.deployment;
    const translator = backend.provider.translator({
      backend,
      dialect,
      operation,
      path: sel.path,
      query: sel.query,
      model: sel.model ?? backendModel(sel),
      options,
      requestHeaders: this.headers,
    });
    if (!translator) {
      throw new GatewayError('unsupported_endpoint', `backend "${backend.name}" (${backend.provider.name}) cannot serve ${dialect} ${operation} requests at ${sel.path || '/'}`);
    }
    this.translator = translator;
    const up = translator.request(body, raw);
    this.requestModel = up.model;
    const mut = upstreamHeaders(this.cfg, backend, this.headers, up.path);
    // Translators and usage counting read response bodies: ask for them uncompressed.
    mut.removeHeader('accept-encoding');
    for (const name of up.removeHeaders ?? []) mut.removeHeader(name);
    for (const [k, v] of Object.entries(up.setHeaders ?? {})) mut.setHeader(k, v);
    const finalBody = up.body ?? raw;
    if (up.body) mut.setHeader('content-length', String(up.body.length));
    if (backend.authorizer) {
      const signed = await backend.authorizer.authorize({
        method: this.facts!.method,
        authority: backend.authority,
        path: backend.pathOverride ?? up.path,
        headers: upstreamView(this.headers, mut),
        body: finalBody,
      });
      for (const [k, v] of Object.entries(signed)) mut.setHeader(k, v);
    }
    return {
      header_mutation: mut.build(),
      ...(up.body ? { body_mutation: { body: up.body } } : {}),
      clear_route_cache: true,
    };
  }

  private operationOf(sel: Selection, backend: CompiledBackend): { dialect: DialectName; operation: Operation } {
    const found = detectDialect(sel.path);
    if (found) return found;
    // Seed 001: a bare prefix (`/gemini`, `/openai`) is the backend's native chat endpoint.
    if (sel.path === '' || sel.path === '/') return { dialect: backend.provider.nativeDialect, operation: backend.provider.nativeOperation };
    throw new GatewayError('unsupported_endpoint', `${sel.path} is not an endpoint the gateway translates; mark it passthrough in the backend's routes`);
  }

  private onResponseHeaders(h: HttpHeaders): ProcessingResponse {
    const headers = headerMap(h.headers?.headers);
    this.status = Number(headers.get(':status') ?? 0);
    const mut = new MutationBuilder();
    if (this.selection) mut.setHeader(BACKEND_HEADER, this.selection.backend.name);
    if (this.requestModel) mut.setHeader('x-llm-model', this.requestModel);
    const out: ProcessingResponse = {};
    if (this.routeType === 'passthrough' || !this.translator) {
      // Restated because the selection may have happened after the request headers.
      out.mode_override = SKIP_BODIES;
      out.dynamic_metadata = this.finish();
    } else {
      const res = this.translator.responseHeaders(this.status, headers);
      for (const name of res.removeHeaders ?? []) mut.removeHeader(name);
      for (const [k, v] of Object.entries(res.setHeaders ?? {})) mut.setHeader(k, v);
      // A whole document rewritten (not an event stream): have Envoy buffer it, so the headers
      // wait for the translated body. A body that cannot be translated then still becomes a
      // clean 502 in the client's dialect, and content-length is exact.
      const eventStream = /event-?stream/i.test(headers.get('content-type') ?? '');
      this.bufferResponse = res.rewritesBody && !eventStream && !h.end_of_stream;
      if (this.bufferResponse) out.mode_override = { response_body_mode: BodySendMode.BUFFERED };
      else if (res.rewritesBody) mut.removeHeader('content-length');
      if (h.end_of_stream) out.dynamic_metadata = this.finish();
    }
    out.response_headers = { response: { header_mutation: mut.build() } };
    return out;
  }

  private onResponseBody(b: HttpBody): ProcessingResponse {
    this.firstByteAt ??= performance.now();
    const body = b.body ?? Buffer.alloc(0);
    const replaced = this.translator?.responseChunk(body, b.end_of_stream === true);
    const response: CommonResponse = {};
    if (replaced !== undefined) {
      response.body_mutation = replaced.length > 0 ? { body: replaced } : { clear_body: true };
      if (this.bufferResponse) response.header_mutation = new MutationBuilder().setHeader('content-length', String(replaced.length)).build();
    }
    const out: ProcessingResponse = { response_body: { response } };
    if (b.end_of_stream) out.dynamic_metadata = this.finish();
    return out;
  }

  /** The llm_extproc metadata for this request; counted once. */
  private finish() {
    if (this.finished) return undefined;
    this.finished = true;
    const sel = this.selection;
    requestsTotal.inc({ backend: sel?.backend.name ?? '', route_type: this.routeType, status: String(this.status) });
    const values: Record<string, unknown> = {
      backend: sel?.backend.name,
      provider: sel?.backend.provider.name,
      client_dialect: this.dialect,
      route_type: this.routeType,
      request_model: this.requestModel,
      response_model: this.translator?.responseModel() ?? this.requestModel,
      ...(this.translator ? usageMetadata(this.usage(this.translator)) : {}),
    };
    if (this.firstByteAt !== undefined) values.ttft_ms = Math.round(this.firstByteAt - this.startedAt);
    this.log.debug({ usage: values }, 'request done');
    return namespaced(METADATA_NAMESPACE, values);
  }

  /** The provider's usage, completed with tokenizer counts where it reported none (only for successful responses). */
  private usage(t: Translator) {
    const reported = t.usage();
    if (this.status < 200 || this.status >= 300) return reported;
    if (reported.inputTokens !== undefined && reported.outputTokens !== undefined) return reported;
    try {
      return completeUsage(reported, this.requestBody, t.outputText?.(), this.requestModel);
    } catch (err) {
      this.log.warn({ err }, 'token estimation failed');
      return reported;
    }
  }

  /** Turns an error into an immediate response in the client's dialect. */
  fail(err: unknown): ProcessingResponse {
    const gw = err instanceof GatewayError ? err : undefined;
    if (gw) this.log.info({ code: gw.code, status: gw.status }, gw.message);
    else this.log.error({ err }, 'internal error while processing a request');
    const e = gw ?? new GatewayError('internal_error', 'the gateway failed to process this request');
    gatewayErrorsTotal.inc({ code: e.code });
    requestsTotal.inc({ backend: this.selection?.backend.name ?? '', route_type: this.routeType, status: String(e.status) });
    this.finished = true;
    const headers = new MutationBuilder().setHeader('content-type', 'application/json').setHeader('x-llm-error-code', e.code);
    return {
      immediate_response: {
        status: { code: e.status },
        headers: headers.build(),
        body: renderError(this.dialect, e.shape()),
        details: `llm_extproc_${e.code}`,
      },
    };
  }
}

function parseJson(raw: Buffer): unknown {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('invalid_json', 'the request body must be a JSON object');
  return v;
}

/** The body's top-level model, for `models` rules; a body that is not JSON has none. */
function peekModel(raw: Buffer): string | undefined {
  try {
    const v = JSON.parse(raw.toString('utf8')) as { model?: unknown };
    return typeof v?.model === 'string' ? v.model : undefined;
  } catch {
    return undefined;
  }
}

/** Request headers as the upstream will see them, for signers. */
function upstreamView(headers: ReadonlyMap<string, string>, mut: MutationBuilder): Record<string, string> {
  const built = mut.build();
  const out: Record<string, string> = {};
  for (const [k, v] of headers) if (!k.startsWith(':')) out[k] = v;
  for (const k of built?.remove_headers ?? []) delete out[k];
  for (const s of built?.set_headers ?? []) if (!s.header.key.startsWith(':')) out[s.header.key] = Buffer.from(s.header.raw_value ?? []).toString();
  return out;
}
