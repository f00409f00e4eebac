// Envoy's own OpenTelemetry tracer, sending to the collector the processor exports to, so
// Envoy's span for a request and the processor's span (a child of Envoy's span for the
// ext_proc call, whose trace context reaches the processor in the gRPC metadata) join one trace.
type Obj = Record<string, unknown>;

export const COLLECTOR_CLUSTER = 'otel_collector';

export interface EnvoyTracing {
  /** HCM `tracing`. */
  hcm: Obj;
  /** Where the collector listens; the bootstrap makes the cluster Envoy exports through. */
  collector: { host: string; port: number; tls: boolean };
}

/** `http://host:4318` -> `http://host:4318/v1/traces`; a URL with a path is taken as given. */
export function tracesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  return u.pathname === '/' || u.pathname === '' ? `${u.origin}/v1/traces` : u.href;
}

export function envoyTracing(endpoint: string, serviceName: string, sampleRatio: number): EnvoyTracing {
  const u = new URL(endpoint);
  const tls = u.protocol === 'https:';
  const collector = { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
  const hcm: Obj = {
    provider: {
      name: 'envoy.tracers.opentelemetry',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
        http_service: { http_uri: { uri: tracesUrl(endpoint), cluster: COLLECTOR_CLUSTER, timeout: '2s' } },
        service_name: `${serviceName}-envoy`,
      },
    },
    // A client's sampled traceparent is followed whatever this says; it decides for traces Envoy starts.
    random_sampling: { value: sampleRatio * 100 },
  };
  return { hcm, collector };
}
