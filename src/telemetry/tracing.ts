// OpenTelemetry tracing: one span per request with the GenAI attributes, parented on the
// W3C trace context Envoy gives the ext_proc call (its gRPC metadata carries a
// `traceparent` when Envoy traces) or, failing that, the client's own `traceparent`, and
// exported over OTLP/HTTP (protobuf). Off unless `telemetry.otlp.endpoint` or the standard
// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT variables name a collector. Prompts and completions
// never go into a span unless `telemetry.captureContent` says so.
import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { tracesUrl } from '../envoy/tracing.js';
import { logger } from '../logger.js';
import type { RequestRecord } from './record.js';

export interface TracingSettings {
  /** OTLP/HTTP endpoint (`http://host:4318`, or a full `/v1/traces` URL); undefined: the OTEL_* variables decide. */
  endpoint?: string;
  serviceName: string;
  /** Share of traces started here (not by Envoy or the client) that are sampled. */
  sampleRatio: number;
  captureContent: boolean;
}

interface Active {
  key: string;
  provider: TracerProvider;
  tracer: Tracer;
  captureContent: boolean;
}

let active: Active | undefined;
const propagator = new W3CTraceContextPropagator();
const mapGetter: TextMapGetter<ReadonlyMap<string, string>> = {
  keys: (m) => [...m.keys()],
  get: (m, k) => m.get(k.toLowerCase()),
};

function envEndpoint(): string | undefined {
  if (process.env.OTEL_SDK_DISABLED === 'true' || process.env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  return process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
}


let applying: Promise<void> = Promise.resolve();

/** Starts, replaces or stops the exporter to match the settings (at start and on every config reload), one change at a time. */
export function configureTracing(s: TracingSettings): Promise<void> {
  applying = applying.catch(() => undefined).then(() => apply(s));
  return applying;
}

async function apply(s: TracingSettings): Promise<void> {
  const fromEnv = s.endpoint === undefined ? envEndpoint() : undefined;
  const endpoint = s.endpoint ?? fromEnv;
  const key = endpoint === undefined ? '' : JSON.stringify([endpoint, fromEnv !== undefined, s.serviceName, s.sampleRatio, s.captureContent]);
  if (key === (active?.key ?? '')) return;
  const previous = active;
  active = undefined;
  if (endpoint !== undefined) {
    // An endpoint from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given; the exporter itself
    // reads it (and OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION) when no url is passed.
    // The SDK and exporter load only when tracing is on: a processor that does not trace does not carry them.
    const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-proto'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
    ]);
    const exporter = new OTLPTraceExporter(s.endpoint !== undefined ? { url: tracesUrl(s.endpoint) } : {});
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || s.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
    });
    active = { key, provider, tracer: provider.getTracer('llm-extproc'), captureContent: s.captureContent };
    logger.info({ endpoint: s.endpoint !== undefined ? tracesUrl(s.endpoint) : endpoint }, 'exporting traces over OTLP/HTTP');
  }
  await previous?.provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'flushing the previous trace exporter failed'));
}

/** Sends what is queued (tests, shutdown). */
export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

export async function shutdownTracing(): Promise<void> {
  const a = active;
  active = undefined;
  await a?.provider.shutdown();
}

/** One request's span; a no-op shell when tracing is off, so callers never branch. */
export class RequestSpan {
  private constructor(
    private readonly span: Span | undefined,
    readonly captureContent: boolean,
  ) {}

  static readonly off = new RequestSpan(undefined, false);

  /**
   * @param carriers header maps in order of preference: the ext_proc stream's gRPC metadata
   *   (Envoy's own span for the call), then the request's headers (a client's trace).
   */
  static start(carriers: ReadonlyMap<string, string>[]): RequestSpan {
    const a = active;
    if (!a) return RequestSpan.off;
    let parent: Context = ROOT_CONTEXT;
    for (const c of carriers) {
      if (!c.has('traceparent')) continue;
      const ctx = propagator.extract(ROOT_CONTEXT, c, mapGetter);
      if (trace.getSpanContext(ctx)) {
        parent = ctx;
        break;
      }
    }
    return new RequestSpan(a.tracer.startSpan('llm_request', { kind: SpanKind.SERVER }, parent), a.captureContent);
  }

  get recording(): boolean {
    return this.span?.isRecording() === true;
  }

  /** Ends the span with what the request turned out to be. */
  end(r: RequestRecord, content?: { input?: string; output?: string }): void {
    const span = this.span;
    if (!span) return;
    const attrs: Attributes = {
      'llm_extproc.backend': r.backend,
      'llm_extproc.route_type': r.routeType,
      'llm_extproc.client_dialect': r.clientDialect,
      'http.response.status_code': r.status || undefined,
    };
    if (r.operation) {
      span.updateName(r.requestModel ? `${r.operation} ${r.requestModel}` : r.operation);
      attrs['gen_ai.operation.name'] = r.operation;
      attrs['gen_ai.provider.name'] = r.providerTelemetryName;
      attrs['gen_ai.request.model'] = r.requestModel;
      attrs['gen_ai.response.model'] = r.responseModel;
      attrs['gen_ai.usage.input_tokens'] = r.usage?.inputTokens;
      attrs['gen_ai.usage.output_tokens'] = r.usage?.outputTokens;
      attrs['gen_ai.usage.cache_read.input_tokens'] = r.usage?.cachedInputTokens;
      attrs['gen_ai.usage.cache_creation.input_tokens'] = r.usage?.cacheWriteInputTokens;
      attrs['gen_ai.usage.reasoning.output_tokens'] = r.usage?.reasoningTokens;
      if (r.finishReasons.length > 0) attrs['gen_ai.response.finish_reasons'] = [...r.finishReasons];
      attrs['llm_extproc.tokens_estimated'] = r.usage ? r.usage.estimated === true : undefined;
      attrs['llm_extproc.stream_end'] = r.streamEnd;
      attrs['gen_ai.request.stream'] = r.stream;
    } else span.updateName(`${r.routeType} ${r.backend ?? 'unrouted'}`);
    if (content?.input !== undefined) attrs['gen_ai.input.messages'] = content.input;
    if (content?.output !== undefined) attrs['gen_ai.output.messages'] = content.output;
    if (r.errorType) {
      attrs['error.type'] = r.errorType;
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) span.setAttribute(k, v);
    span.end();
  }
}
