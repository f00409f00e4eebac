// Envoy v3 bootstrap generation: one listener whose ext_proc filter hands every request
// to the processor, one route per backend or pool keyed on the `x-llm-backend` header the
// processor writes, a 404 catch-all so nothing falls open, one cluster per backend and per
// pool (pools.ts), and the rate limit filters and service cluster when there are limits.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { localReplyConfig } from './local-replies.js';
import { Document } from 'yaml';
import type { CompiledBackend, RuntimeConfig } from '../config/compile.js';
import { ERROR_CODE_HEADER, METADATA_KEYS, METADATA_NAMESPACE, metadataOperator } from './metadata-keys.js';
import { COLLECTOR_CLUSTER, envoyTracing } from './tracing.js';
import { RATELIMIT_CLUSTER, rateLimitsPerFilter, rateLimitFilters, serviceAddress } from './ratelimit.js';
import { connectTimeout, envoyDuration, outlierDetection, poolTraffic, routeTraffic } from './traffic.js';
import { DEFAULT_CA_FILE, endpoints, grpcCluster, hostCluster, providerProtocol, socketAddress, TYPE } from './clusters.js';
import { poolCluster } from './pools.js';
import { dynamicCds, dynamicRds, ROUTE_CONFIG_NAME } from './dynamic-sources.js';
import { clientHttp2, grpcCircuitBreakers, grpcServiceHttp2, overloadManager, PROCESSOR_MAX_STREAMS, RATELIMIT_MAX_CALLS, upstreamCircuitBreakers } from './capacity.js';

export { DEFAULT_CA_FILE };

/** Request header the processor writes with the chosen backend; routes match on it. */
export const BACKEND_HEADER = 'x-llm-backend';
/** Cluster (and gRPC authority) of the processor. */
export const PROCESSOR_CLUSTER = 'llm_extproc';
export const LISTENER_NAME = 'llm_gateway';
export { ROUTE_CONFIG_NAME };
/** Headroom over maxRequestBytes so the processor's own 413 (from content-length) answers first. */
export const BUFFER_HEADROOM_BYTES = 64 * 1024;
// Envoy's default circuit breaker (1,024) turned the 1,025th concurrent request into a 500;
// capacity.ts sizes every limit for the gateway's concurrency goal.
export { PROCESSOR_MAX_STREAMS } from './capacity.js';

/**
 * Envoy runtime the generated bootstraps set. ext_proc_graceful_grpc_close: Envoy half-closes
 * each ext_proc stream when its request is done instead of resetting it (RST_STREAM
 * INTERNAL_ERROR, for which Node builds an Error with a stack trace, per request).
 */
export const ENVOY_RUNTIME = { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true };

export const NO_BACKEND_BODY = JSON.stringify({
  error: { message: 'no backend selected', type: 'invalid_request_error', param: null, code: 'backend_not_found' },
});

export type ProcessorAddress = { host: string; port: number } | { unixPath: string };

export interface BootstrapOptions {
  /** Where Envoy reaches the processor; default 127.0.0.1:cfg.ports.grpc (or its unix socket). */
  processor?: ProcessorAddress;
  listenAddress?: string;
  adminAddress?: string;
  accessLogPath?: string;
  /** CA bundle that verifies https backends. */
  caFile?: string;
  /** Reserved: worker count is a command-line flag (`--concurrency`), not bootstrap config. */
  concurrency?: never;
  /**
   * Backend and pool clusters and the route table live in files in this directory, which
   * Envoy watches (path-based CDS and RDS, dynamic.ts); without it they are static.
   */
  dynamicDir?: string;
}

type Obj = Record<string, unknown>;

/**
 * The first CA bundle present on this machine (Debian/Ubuntu/Alpine, RHEL, macOS, SUSE).
 * Envoy refuses to start when trusted_ca names a missing file, so a local `up` should
 * pass this as caFile; a bootstrap printed for another machine keeps the default.
 */
export function findCaFile(): string | undefined {
  const candidates = [DEFAULT_CA_FILE, '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem'];
  return candidates.find((p) => existsSync(p));
}

// LLM responses stream for minutes: no overall deadline, only idle ones.
const STREAM_IDLE_TIMEOUT = '300s';
// A buffered request body of several MiB can take the processor a while (translation, SigV4).
const MESSAGE_TIMEOUT = '30s';
const MAX_MESSAGE_TIMEOUT = '300s';

/**
 * Cluster name for a backend. Dots split Envoy stat names, so anything beyond
 * letters, digits, `_` and `-` becomes `_`; collisions get a numeric suffix.
 */
export function backendClusterNames(names: Iterable<string>, poolNames: Iterable<string> = []): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>([PROCESSOR_CLUSTER]);
  const all = [...[...names].map((n) => ['backend', n] as const), ...[...poolNames].map((n) => ['pool', n] as const)];
  for (const [kind, name] of all) {
    const base = `${kind}_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

function processorAddress(cfg: RuntimeConfig, given?: ProcessorAddress): ProcessorAddress {
  if (given) return given;
  const grpc = cfg.ports.grpc;
  if (typeof grpc === 'string') return { unixPath: grpc.slice('unix:'.length) };
  if (grpc === 0) {
    // Port 0 means "the processor picks one": only the caller knows which, after binding.
    throw new Error('ports.grpc is 0: pass the processor address the server actually bound (opts.processor)');
  }
  return { host: '127.0.0.1', port: grpc };
}

function processorCluster(addr: ProcessorAddress): Obj {
  const base: Obj = {
    name: PROCESSOR_CLUSTER,
    connect_timeout: '5s',
    // gRPC needs HTTP/2 end to end.
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpOptions,
        // Long-lived connections (never rotated: that costs a protocol error per rotation), a
        // bounded number of streams on each, flood guards sized to them (capacity.ts). Streams
        // close gracefully (ENVOY_RUNTIME); the processor lifts Node's rapid-reset limit for
        // Envoys that still reset them.
        explicit_http_config: { http2_protocol_options: grpcServiceHttp2() },
      },
    },
    circuit_breakers: grpcCircuitBreakers(PROCESSOR_MAX_STREAMS),
  };
  if ('unixPath' in addr) {
    return { ...base, type: 'STATIC', load_assignment: endpoints(PROCESSOR_CLUSTER, { pipe: { path: addr.unixPath } }) };
  }
  const literal = isIP(addr.host) !== 0;
  return {
    ...base,
    type: literal ? 'STATIC' : 'STRICT_DNS',
    ...(literal ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    load_assignment: endpoints(PROCESSOR_CLUSTER, socketAddress(addr.host, addr.port)),
  };
}

export function backendCluster(b: CompiledBackend, clusterName: string, caFile: string): Obj {
  const od = outlierDetection(b.config);
  return {
    ...hostCluster(clusterName, b.host, b.port, b.scheme === 'https', caFile, connectTimeout(b.config)),
    ...(od ? { outlier_detection: od } : {}),
    circuit_breakers: upstreamCircuitBreakers(),
    typed_extension_protocol_options: providerProtocol(b.config),
  };
}

function accessLog(path: string, tracing: boolean): Obj[] {
  const fields: Record<string, string> = {
    start_time: '%START_TIME%',
    method: '%REQ(:METHOD)%',
    // The client's path as the processor saw it, and the one the upstream got (the processor
    // rewrites :path, so Envoy's own REQ(:PATH) is the upstream's). Query strings are left
    // out of both: clients may put keys there (Gemini's `?key=`).
    path: metadataOperator('client_path'),
    upstream_path: '%PATH(NQ:PATH)%',
    response_code: '%RESPONSE_CODE%',
    response_flags: '%RESPONSE_FLAGS%',
    response_code_details: '%RESPONSE_CODE_DETAILS%',
    duration_ms: '%DURATION%',
    upstream_host: '%UPSTREAM_HOST%',
    request_id: '%REQ(X-REQUEST-ID)%',
  };
  if (tracing) fields.trace_id = '%TRACE_ID%';
  for (const key of METADATA_KEYS) if (key !== 'client_path') fields[key] = metadataOperator(key);
  const log_format = { json_format: fields };
  // Opening /dev/stdout fails (ENXIO) when Envoy's stdout is a socket, as under Node's
  // child_process pipes or journald; the stream loggers write to the inherited fd instead.
  if (path === '/dev/stdout') return [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': TYPE.stdoutLog, log_format } }];
  if (path === '/dev/stderr') return [{ name: 'envoy.access_loggers.stderr', typed_config: { '@type': TYPE.stderrLog, log_format } }];
  return [{ name: 'envoy.access_loggers.file', typed_config: { '@type': TYPE.fileLog, path, log_format } }];
}

function extProcFilter(): Obj {
  return {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': TYPE.extProc,
      // Envoy 1.40 does not bound ext_proc streams by this (checked: a 2.5 s request passes a
      // 1 s value); message_timeout is the per-reply deadline that matters.
      grpc_service: { envoy_grpc: { cluster_name: PROCESSOR_CLUSTER }, timeout: MESSAGE_TIMEOUT },
      // Fail closed: without the processor a request would reach a provider without its key.
      failure_mode_allow: false,
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: 'BUFFERED',
        response_body_mode: 'STREAMED',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      // Passthrough routes drop bodies, SSE responses stay STREAMED: both are mode overrides.
      allow_mode_override: true,
      message_timeout: MESSAGE_TIMEOUT,
      max_message_timeout: MAX_MESSAGE_TIMEOUT,
      // The processor rewrites :authority (hostOverride, provider hosts).
      mutation_rules: { allow_all_routing: true },
      metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } },
      // Route metadata (namespace llm_extproc) configures the processor from Envoy's routes.
      // Envoy sends it as one string in protobuf text format ("filter_metadata { key: ... }");
      // narrower CEL paths to a map arrive as the useless string "CelMap value".
      request_attributes: ['xds.route_metadata'],
    },
  };
}

/**
 * Rate limits: the filters and the service's cluster come with a rateLimits section, even one
 * without rules yet (no section, no filter and no service to reach); the rules go on the routes.
 */
function activeLimits(cfg: RuntimeConfig) {
  return cfg.file.rateLimits;
}

export function routeConfig(cfg: RuntimeConfig, clusters: Map<string, string>): Obj {
  const limits = activeLimits(cfg);
  const rules = limits && rateLimitsPerFilter(limits);
  const routes: Obj[] = [];
  for (const [name, cluster] of clusters) {
    const pool = cfg.pools.get(name);
    routes.push({
      name: `${pool ? 'pool' : 'backend'}-${name}`,
      match: { prefix: '/', headers: [{ name: BACKEND_HEADER, string_match: { exact: name } }] },
      route: { cluster, ...(pool ? poolTraffic(pool) : routeTraffic(cfg.backends.get(name)!.config)) },
    });
  }
  // Reached only when the processor picked nothing routable: answer, never guess a backend.
  routes.push({
    name: 'no-backend',
    match: { prefix: '/' },
    direct_response: { status: 404, body: { inline_string: NO_BACKEND_BODY } },
    response_headers_to_add: [
      { header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ],
  });
  // The error-code header marks Envoy's own replies for the processor (it passes them untranslated):
  // one from a provider must not pass for that. Local replies get it after this removal.
  return {
    name: ROUTE_CONFIG_NAME,
    virtual_hosts: [
      {
        name: 'llm',
        domains: ['*'],
        routes,
        response_headers_to_remove: [ERROR_CODE_HEADER],
        // x-envoy-attempt-count on the response: the processor records how many attempts it took.
        include_attempt_count_in_response: true,
        // ...and on each attempt's request, for the upstream filter of a pool.
        include_request_attempt_count: true,
        // Every route's rate limit rules at once: no route has per-filter config of its own.
        ...(rules ? { typed_per_filter_config: rules } : {}),
      },
    ],
  };
}

/** One cluster per backend and per pool: what a config reload may add, remove or change. */
export function upstreamClusters(cfg: RuntimeConfig, clusterNames: Map<string, string>, caFile: string): Obj[] {
  const out: Obj[] = [];
  for (const [name, backend] of cfg.backends) out.push(backendCluster(backend, clusterNames.get(name)!, caFile));
  for (const [name, pool] of cfg.pools) out.push(poolCluster(pool, clusterNames.get(name)!, caFile, { cluster: PROCESSOR_CLUSTER, messageTimeout: MESSAGE_TIMEOUT }));
  return out;
}

/** The bootstrap as a plain object (what generateBootstrap serialises). */
export function buildBootstrap(cfg: RuntimeConfig, opts: BootstrapOptions = {}): Obj {
  const listenAddress = opts.listenAddress ?? cfg.listenHost;
  const adminAddress = opts.adminAddress ?? '127.0.0.1';
  const accessLogPath = opts.accessLogPath ?? '/dev/stdout';
  const caFile = opts.caFile ?? DEFAULT_CA_FILE;
  const clusterNames = backendClusterNames(cfg.backends.keys(), cfg.pools.keys());
  const limits = activeLimits(cfg);
  const otlp = cfg.telemetry.otlp;
  const tracing = otlp?.envoy ? envoyTracing(otlp.endpoint, cfg.telemetry.serviceName, otlp.sampleRatio) : undefined;

  const hcm: Obj = {
    '@type': TYPE.hcm,
    stat_prefix: 'llm',
    codec_type: 'AUTO',
    stream_idle_timeout: STREAM_IDLE_TIMEOUT,
    // Envoy's codecs close the connection, with no response at all, on headers over this: let
    // twice the processor's limit through, so a client over it gets a 431 in its own dialect.
    max_request_headers_kb: Math.min(8192, Math.max(96, Math.ceil((cfg.maxRequestHeaderBytes * 2) / 1024))),
    request_timeout: '0s',
    http2_protocol_options: clientHttp2(),
    access_log: accessLog(accessLogPath, tracing !== undefined),
    ...(tracing ? { tracing: tracing.hcm } : {}),
    local_reply_config: localReplyConfig(),
    ...(opts.dynamicDir ? { rds: dynamicRds(opts.dynamicDir) } : { route_config: routeConfig(cfg, clusterNames) }),
    http_filters: [
      extProcFilter(),
      ...(limits ? rateLimitFilters(limits, envoyDuration(limits.service.timeout)) : []),
      { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE.router } },
    ],
  };

  const clusters: Obj[] = [processorCluster(processorAddress(cfg, opts.processor))];
  if (!opts.dynamicDir) clusters.push(...upstreamClusters(cfg, clusterNames, caFile));
  if (limits) {
    const a = serviceAddress(limits);
    clusters.push(grpcCluster(RATELIMIT_CLUSTER, a.host, a.port, RATELIMIT_MAX_CALLS));
  }
  if (tracing) {
    const c = tracing.collector;
    clusters.push(hostCluster(COLLECTOR_CLUSTER, c.host, c.port, c.tls, caFile, '2s'));
  }

  return {
    // The admin listener stays reachable when the downstream connection cap is reached.
    admin: { address: socketAddress(adminAddress, cfg.ports.envoyAdmin), ignore_global_conn_limit: true },
    overload_manager: overloadManager(),
    layered_runtime: { layers: [{ name: 'static', static_layer: ENVOY_RUNTIME }] },
    // xDS subscriptions, file-based ones included, need a node identity.
    ...(opts.dynamicDir ? { node: { id: 'llm-extproc', cluster: 'llm-extproc' }, dynamic_resources: { cds_config: dynamicCds(opts.dynamicDir) } } : {}),
    static_resources: {
      listeners: [
        {
          name: LISTENER_NAME,
          address: socketAddress(listenAddress, cfg.ports.envoy),
          // Envoy answers 413 itself past this limit for a BUFFERED body; keep it above the
          // processor's limit so clients get the processor's error in their own dialect.
          per_connection_buffer_limit_bytes: cfg.maxRequestBytes + BUFFER_HEADROOM_BYTES,
          filter_chains: [
            { filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] },
          ],
        },
      ],
      clusters,
    },
  };
}

/** Envoy v3 bootstrap YAML for this config. */
export function generateBootstrap(cfg: RuntimeConfig, opts: BootstrapOptions = {}): string {
  const doc = new Document(buildBootstrap(cfg, opts));
  doc.commentBefore =
    ' Generated by llm-extproc (`llm-extproc envoy-config`) from its config file; edits are lost on regeneration.\n' +
    (opts.dynamicDir ? ` Backends, pools and routes: files in ${opts.dynamicDir} (cds.yaml, rds.yaml), watched by Envoy.\n` : '') +
    ` Backends: ${[...cfg.backends.keys()].join(', ') || '(none)'}` +
    (cfg.pools.size ? `\n Pools: ${[...cfg.pools.keys()].join(', ')}` : '');
  return doc.toString({ lineWidth: 0 });
}
