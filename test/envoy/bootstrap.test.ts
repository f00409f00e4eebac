// The generated Envoy bootstrap: its shape (routes, TLS, limits, ext_proc settings) and
// real `envoy --mode validate` on it and on every committed Envoy YAML.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { dynamicResources, writeDynamicFiles } from '../../src/envoy/dynamic.js';
import {
  BUFFER_HEADROOM_BYTES,
  DEFAULT_CA_FILE,
  NO_BACKEND_BODY,
  buildBootstrap,
  findCaFile,
  generateBootstrap,
} from '../../src/envoy/bootstrap.js';
import { packageRoot } from '../../src/envoy/find.js';
import { validateBootstrap } from '../../src/envoy/launcher.js';
import { METADATA_KEYS } from '../../src/envoy/metadata-keys.js';
import { skipRealEnvoy, theEnvoy } from './available.js';

type Obj = Record<string, any>;

/**
 * A committed bootstrap with live config (envoy.compose.yaml) names a directory only its
 * container has: point it at a temporary one holding the files the processor writes there.
 */
function withDynamicFiles(yaml: string): string {
  const dir = '/srv/envoy-dynamic';
  if (!yaml.includes(dir)) return yaml;
  const local = mkdtempSync(join(tmpdir(), 'llm-extproc-compose-dyn-'));
  writeDynamicFiles(local, dynamicResources(loadConfigFile(join(packageRoot(), 'deploy/compose/config.yaml'))));
  return yaml.replaceAll(dir, local);
}

const CONFIG = `
defaultBackend: openai
limits: { maxRequestBytes: 1048576 }
backends:
  openai:
    provider: openai
    authToken: { kind: Inline, inline: sk-test }
  local:
    provider: openai
    endpoint: http://127.0.0.1:11434
  azure-custom:
    provider: openai
    endpoint: https://my-resource.openai.azure.com
    hostOverride: apic.ocp.provider.com
  my.box:
    provider: openai
    endpoint: http://inference.internal:8000
  byip:
    provider: openai
    endpoint: https://10.1.2.3:8443
`;

const cfg = parseConfigText(CONFIG);
const caFile = findCaFile() ?? DEFAULT_CA_FILE;
const boot = buildBootstrap(cfg, { caFile }) as Obj;
const listener = boot.static_resources.listeners[0] as Obj;
const hcm = listener.filter_chains[0].filters[0].typed_config as Obj;
const routes = hcm.route_config.virtual_hosts[0].routes as Obj[];
const clusters = boot.static_resources.clusters as Obj[];
const cluster = (name: string) => clusters.find((c) => c.name === name) as Obj;
const extProc = hcm.http_filters[0].typed_config as Obj;

describe('generated bootstrap', () => {
  it('routes each backend by the exact x-llm-backend header to its own cluster', () => {
    const byHeader = routes.filter((r) => r.match.headers);
    expect(byHeader.map((r) => r.match.headers[0].string_match.exact)).toEqual(['openai', 'local', 'azure-custom', 'my.box', 'byip']);
    for (const r of byHeader) {
      expect(r.match.prefix).toBe('/');
      expect(r.match.headers[0].name).toBe('x-llm-backend');
      expect(r.route.timeout).toBe('0s');
      expect(r.route.idle_timeout).toBeTruthy();
      expect(cluster(r.route.cluster)).toBeDefined();
    }
    // The header keeps the exact name; the cluster name is made stat-safe.
    expect(byHeader[3]!.route.cluster).toBe('backend_my_box');
  });

  it('ends with a JSON 404 so nothing reaches a backend the processor did not pick', () => {
    const last = routes.at(-1)!;
    expect(last.match).toEqual({ prefix: '/' });
    expect(last.route).toBeUndefined();
    expect(last.direct_response.status).toBe(404);
    expect(JSON.parse(last.direct_response.body.inline_string)).toEqual({
      error: { message: 'no backend selected', type: 'invalid_request_error', param: null, code: 'backend_not_found' },
    });
    expect(last.direct_response.body.inline_string).toBe(NO_BACKEND_BODY);
    expect(last.response_headers_to_add[0].header).toEqual({ key: 'content-type', value: 'application/json' });
  });

  it('verifies https backends: SNI and a SAN match on the (overridden) host, with a CA', () => {
    const azure = cluster('backend_azure-custom');
    expect(azure.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: 'apic.ocp.provider.com',
      port_value: 443,
    });
    const tls = azure.transport_socket.typed_config;
    expect(azure.transport_socket.name).toBe('envoy.transport_sockets.tls');
    expect(tls.sni).toBe('apic.ocp.provider.com');
    expect(tls.common_tls_context.validation_context.trusted_ca.filename).toBe(caFile);
    expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: 'DNS', matcher: { exact: 'apic.ocp.provider.com' } },
    ]);
    expect(cluster('backend_openai').transport_socket.typed_config.sni).toBe('api.openai.com');
    // An IP literal is never sent as SNI; the certificate must name it as an IP SAN.
    const ip = cluster('backend_byip').transport_socket.typed_config;
    expect(ip.sni).toBeUndefined();
    expect(ip.common_tls_context.validation_context.match_typed_subject_alt_names[0].san_type).toBe('IP_ADDRESS');
  });

  it('exports Envoy’s traces to an https collector whose certificate name it checks, as for a backend', () => {
    const traced = buildBootstrap(parseConfigText(`${CONFIG}\ntelemetry: { otlp: { endpoint: "https://otel.example.com:4318" } }\n`), { caFile }) as Obj;
    const collector = (traced.static_resources.clusters as Obj[]).find((c) => c.name === 'otel_collector')!;
    expect(collector.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'otel.example.com', port_value: 4318 });
    const tls = collector.transport_socket.typed_config;
    expect(tls.sni).toBe('otel.example.com');
    expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([{ san_type: 'DNS', matcher: { exact: 'otel.example.com' } }]);
    const hcmTracing = traced.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.tracing;
    expect(hcmTracing.provider.typed_config.http_service.http_uri).toMatchObject({ uri: 'https://otel.example.com:4318/v1/traces', cluster: 'otel_collector' });
  });

  it('uses plain text for http backends, STATIC for IPs and LOGICAL_DNS for names', () => {
    expect(cluster('backend_local').transport_socket).toBeUndefined();
    expect(cluster('backend_local').type).toBe('STATIC');
    expect(cluster('backend_my_box').type).toBe('LOGICAL_DNS');
    expect(cluster('backend_my_box').dns_lookup_family).toBe('V4_PREFERRED');
    expect(cluster('backend_local').connect_timeout).toBe('10s');
  });

  it('buffers a bit more than maxRequestBytes so the processor answers 413 first', () => {
    expect(listener.per_connection_buffer_limit_bytes).toBe(1048576 + BUFFER_HEADROOM_BYTES);
  });

  it('configures ext_proc fail-closed, with mode override, routing mutations and the llm_extproc namespace', () => {
    expect(hcm.http_filters.map((f: Obj) => f.name)).toEqual(['envoy.filters.http.ext_proc', 'envoy.filters.http.router']);
    expect(extProc.failure_mode_allow).toBe(false);
    expect(extProc.allow_mode_override).toBe(true);
    expect(extProc.grpc_service.envoy_grpc.cluster_name).toBe('llm_extproc');
    expect(extProc.processing_mode).toEqual({
      request_header_mode: 'SEND',
      response_header_mode: 'SEND',
      request_body_mode: 'BUFFERED',
      response_body_mode: 'STREAMED',
      request_trailer_mode: 'SKIP',
      response_trailer_mode: 'SKIP',
    });
    expect(extProc.message_timeout).toMatch(/^\d+s$/);
    expect(extProc.max_message_timeout).toMatch(/^\d+s$/);
    expect(extProc.mutation_rules).toEqual({ allow_all_routing: true });
    expect(extProc.metadata_options.receiving_namespaces.untyped).toEqual(['llm_extproc']);
    expect(extProc.request_attributes).toEqual(['xds.route_metadata']);
  });

  it('keeps streams open: no request timeout, an idle timeout, codec AUTO', () => {
    expect(hcm.codec_type).toBe('AUTO');
    expect(hcm.request_timeout).toBe('0s');
    expect(hcm.stream_idle_timeout).toBe('300s');
  });

  it('logs every llm_extproc metadata key in the JSON access log', () => {
    const log = hcm.access_log[0];
    expect(log.name).toBe('envoy.access_loggers.stdout');
    const fields = log.typed_config.log_format.json_format as Record<string, string>;
    // The client's path is logged as `path`, beside the path the upstream got.
    for (const key of METADATA_KEYS) expect(fields[key === 'client_path' ? 'path' : key]).toBe(`%DYNAMIC_METADATA(llm_extproc:${key})%`);
    expect(fields.upstream_path).toBe('%PATH(NQ:PATH)%');
    expect(fields.trace_id).toBeUndefined();
    for (const op of ['%START_TIME%', '%RESPONSE_CODE%', '%RESPONSE_FLAGS%', '%DURATION%', '%UPSTREAM_HOST%', '%REQ(X-REQUEST-ID)%']) {
      expect(Object.values(fields)).toContain(op);
    }
    const toFile = buildBootstrap(cfg, { accessLogPath: '/var/log/envoy/access.log' }) as Obj;
    const fileLog = toFile.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log[0];
    expect(fileLog.name).toBe('envoy.access_loggers.file');
    expect(fileLog.typed_config.path).toBe('/var/log/envoy/access.log');
  });

  it('binds the listener to listen.host (loopback by default) and admin to 127.0.0.1', () => {
    expect(listener.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8080 });
    expect(boot.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 9901 });
    const open = buildBootstrap(parseConfigText(`${CONFIG}\nlisten: { host: 0.0.0.0 }\n`)) as Obj;
    expect(open.static_resources.listeners[0].address.socket_address.address).toBe('0.0.0.0');
    const custom = buildBootstrap(cfg, { listenAddress: '10.0.0.5', adminAddress: '0.0.0.0' }) as Obj;
    expect(custom.static_resources.listeners[0].address.socket_address.address).toBe('10.0.0.5');
    expect(custom.admin.address.socket_address.address).toBe('0.0.0.0');
  });

  it('reaches the processor over HTTP/2 at 127.0.0.1:<grpc>, a given host, or a unix socket', () => {
    const proc = cluster('llm_extproc');
    const h2 = proc.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options;
    // Connections for good (no rotation), 1,024 streams on each, and flood guards that hold
    // a reset and several messages for every one of them (Envoy's 1,000 control frames do not).
    expect(proc.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options).toBeUndefined();
    expect(h2).toEqual({ max_concurrent_streams: 1024, max_outbound_control_frames: 10_240, max_outbound_frames: 102_400 });
    // Room for far more than Envoy's default 1,024 streams: two per pool request at capacity.
    expect(proc.circuit_breakers.thresholds[0]).toMatchObject({ max_requests: 100_000, max_pending_requests: 100_000 });
    // Envoy half-closes ext_proc streams rather than resetting them.
    expect((buildBootstrap(cfg) as Obj).layered_runtime.layers[0].static_layer).toEqual({ 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true });
    expect(proc.type).toBe('STATIC');
    expect(proc.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 50051 });

    const named = buildBootstrap(cfg, { processor: { host: 'llm-extproc.gw.svc', port: 9000 } }) as Obj;
    const namedProc = (named.static_resources.clusters as Obj[]).find((c) => c.name === 'llm_extproc')!;
    expect(namedProc.type).toBe('STRICT_DNS');

    const unixCfg = parseConfigText(`${CONFIG}\nports: { grpc: "unix:/run/llm-extproc.sock" }\n`);
    const viaUnix = (buildBootstrap(unixCfg) as Obj).static_resources.clusters.find((c: Obj) => c.name === 'llm_extproc');
    expect(viaUnix.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ pipe: { path: '/run/llm-extproc.sock' } });
  });

  it('sizes every limit for the concurrency goal, bounded: breakers, retries, client streams, downstream connections', () => {
    // Envoy's defaults (1,024 per cluster, 3 concurrent retries) turned 10,000 held streams into 503s and 504s.
    for (const name of ['backend_openai', 'backend_local']) {
      expect(cluster(name).circuit_breakers.thresholds).toEqual([
        { priority: 'DEFAULT', max_connections: 50_000, max_pending_requests: 50_000, max_requests: 50_000, retry_budget: { budget_percent: { value: 100 }, min_retry_concurrency: 3 } },
      ]);
    }
    expect(hcm.http2_protocol_options).toEqual({ max_concurrent_streams: 1000 });
    expect(boot.overload_manager.resource_monitors).toEqual([
      {
        name: 'envoy.resource_monitors.global_downstream_max_connections',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig', max_active_downstream_connections: 50_000 },
      },
    ]);
    // Stats stay readable when the connection cap is reached.
    expect(boot.admin.ignore_global_conn_limit).toBe(true);
    const pooled = buildBootstrap(
      parseConfigText(`
backends: { a: { provider: openai, endpoint: "http://127.0.0.1:9" }, b: { provider: openai, endpoint: "http://127.0.0.1:10" } }
pools: { p: { backends: [ { backend: a }, { backend: b, priority: 1 } ] } }
`),
    ) as Obj;
    const pool = (pooled.static_resources.clusters as Obj[]).find((c) => c.name === 'pool_p')!;
    // A pool's fallback is a retry: a budget of 3 at once would hand the rest the primary's error.
    expect(pool.circuit_breakers).toEqual(cluster('backend_openai').circuit_breakers);
  });

  it('refuses a processor port of 0 it cannot know', () => {
    const zero = parseConfigText(`${CONFIG}\nports: { grpc: 0 }\n`);
    expect(() => buildBootstrap(zero)).toThrow(/opts\.processor/);
    expect(() => buildBootstrap(zero, { processor: { host: '127.0.0.1', port: 41000 } })).not.toThrow();
  });

  it('serialises to YAML with a generated-file header that parses back to the same object', () => {
    const yaml = generateBootstrap(cfg, { caFile });
    expect(yaml.startsWith('# Generated by llm-extproc')).toBe(true);
    expect(parseYaml(yaml)).toEqual(boot);
    for (const key of METADATA_KEYS) expect(yaml).toContain(`%DYNAMIC_METADATA(llm_extproc:${key})%`);
  });
});

/** Envoy YAML committed under envoy/ (all of it) and deploy/ (bootstraps, also inside ConfigMaps). */
function committedEnvoyYaml(): { name: string; yaml: string }[] {
  const root = packageRoot();
  const out: { name: string; yaml: string }[] = [];
  const isBootstrap = (v: unknown) =>
    !!v && typeof v === 'object' && ('static_resources' in v || 'dynamic_resources' in v);
  for (const dir of ['envoy', 'deploy']) {
    let files: string[];
    try {
      files = readdirSync(join(root, dir), { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      if (!/\.ya?ml$/.test(file)) continue;
      const rel = relative(root, join(root, dir, file));
      // Kubernetes custom resources for Envoy Gateway, not bootstraps.
      if (rel.startsWith('deploy/envoy-gateway/')) continue;
      const text = readFileSync(join(root, rel), 'utf8');
      if (dir === 'envoy') {
        out.push({ name: rel, yaml: text });
        continue;
      }
      for (const doc of parseAllDocuments(text)) {
        const value = (Array.isArray(doc) ? undefined : doc.toJS()) as Obj | undefined;
        if (isBootstrap(value)) out.push({ name: rel, yaml: text });
        else if (value?.kind === 'ConfigMap') {
          for (const [key, data] of Object.entries((value.data ?? {}) as Record<string, string>)) {
            if (!/\.ya?ml$/.test(key)) continue;
            let embedded: unknown;
            try {
              embedded = parseYaml(data);
            } catch {
              continue;
            }
            if (isBootstrap(embedded)) out.push({ name: `${rel} (ConfigMap ${value.metadata?.name}:${key})`, yaml: data });
          }
        }
      }
    }
  }
  return out;
}

describe.skipIf(skipRealEnvoy)('envoy --mode validate (real Envoy)', () => {
  const expectValid = async (yaml: string) => {
    const result = await validateBootstrap(yaml, theEnvoy());
    expect(result.output, result.output).toMatch(/OK/);
    expect(result.ok, result.output).toBe(true);
  };

  it('accepts the bootstrap for http and https backends with hostOverride', async () => {
    await expectValid(generateBootstrap(cfg, { caFile }));
  });

  it('accepts the bootstrap with a unix-socket processor', async () => {
    const unixCfg = parseConfigText(`${CONFIG}\nports: { grpc: "unix:/tmp/llm-extproc-validate.sock" }\n`);
    await expectValid(generateBootstrap(unixCfg, { caFile }));
  });

  it('accepts the bootstrap with Envoy tracing to an https collector', async () => {
    await expectValid(generateBootstrap(parseConfigText(`${CONFIG}\ntelemetry: { otlp: { endpoint: "https://otel.example.com" } }\n`), { caFile }));
  });

  it('accepts a bootstrap without backends and a file access log', async () => {
    await expectValid(generateBootstrap(parseConfigText('{}'), { accessLogPath: '/dev/null' }));
  });

  it('rejects a broken bootstrap (the check has teeth)', async () => {
    const broken = generateBootstrap(cfg, { caFile }).replace('failure_mode_allow: false', 'failure_mode_allow: maybe');
    const result = await validateBootstrap(broken, theEnvoy());
    expect(result.ok).toBe(false);
  });

  const files = committedEnvoyYaml();
  it('the attach fragment carries the local_reply_config the generator makes, and the error-code strip', () => {
    const attach = parseYaml(readFileSync(join(packageRoot(), 'envoy/attach/ext-proc-filter.yaml'), 'utf8')) as Obj;
    const attachHcm = attach.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    expect(attachHcm.local_reply_config).toEqual(hcm.local_reply_config);
    expect(attachHcm.route_config.virtual_hosts[0].response_headers_to_remove).toEqual(['x-llm-error-code']);
    expect(attachHcm.max_request_headers_kb).toBe(hcm.max_request_headers_kb);
  });

  it('the attach fragment’s processor cluster, runtime and capacity limits are the generator’s: streams closed gracefully, no 1,024-stream breakers', () => {
    const attach = parseYaml(readFileSync(join(packageRoot(), 'envoy/attach/ext-proc-filter.yaml'), 'utf8')) as Obj;
    const generated = buildBootstrap(cfg) as Obj;
    const proc = (b: Obj) => (b.static_resources.clusters as Obj[]).find((c) => c.name === 'llm_extproc')!;
    expect(proc(attach).circuit_breakers).toEqual(proc(generated).circuit_breakers);
    expect(proc(attach).typed_extension_protocol_options).toEqual(proc(generated).typed_extension_protocol_options);
    expect(attach.layered_runtime).toEqual(generated.layered_runtime);
    // COPY (11): the limits every cluster and the listener need at 10,000 concurrent streams.
    const attachHcm = attach.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    expect(attachHcm.http2_protocol_options).toEqual(hcm.http2_protocol_options);
    expect(attach.overload_manager).toEqual(generated.overload_manager);
    expect(attach.admin.ignore_global_conn_limit).toBe(true);
    for (const c of (attach.static_resources.clusters as Obj[]).filter((c) => c.name.startsWith('backend_'))) {
      expect(c.circuit_breakers, c.name).toEqual(cluster('backend_openai').circuit_breakers);
    }
  });

  it('the attach fragment’s pool route and cluster are what the generator makes for that pool', () => {
    const attach = parseYaml(readFileSync(join(packageRoot(), 'envoy/attach/ext-proc-filter.yaml'), 'utf8')) as Obj;
    const attachHcm = attach.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const gen = buildBootstrap(
      parseConfigText(`
backends:
  openai: { provider: openai, authToken: { kind: Inline, inline: k } }
  anthropic: { provider: anthropic, authToken: { kind: Inline, inline: k } }
pools:
  smart:
    backends: [ { backend: anthropic, priority: 0 }, { backend: openai, priority: 1 } ]
    outlierDetection: {}
`),
      { caFile: DEFAULT_CA_FILE },
    ) as Obj;
    const genHcm = gen.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const poolRoute = (h: Obj) => (h.route_config.virtual_hosts[0].routes as Obj[]).find((r) => r.name === 'pool-smart');
    expect(poolRoute(attachHcm)).toEqual(poolRoute(genHcm));
    const poolCluster = (b: Obj) => (b.static_resources.clusters as Obj[]).find((c) => c.name === 'pool_smart');
    expect(poolCluster(attach)).toEqual(poolCluster(gen));
    expect(attachHcm.route_config.virtual_hosts[0].include_request_attempt_count).toBe(true);
  });

  it('the attach fragment’s rate limit filter and cluster are what the generator makes for that rule', () => {
    const attach = parseYaml(readFileSync(join(packageRoot(), 'envoy/attach/ext-proc-filter.yaml'), 'utf8')) as Obj;
    const attachHcm = attach.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const gen = buildBootstrap(
      parseConfigText(`
backends: { openai: { provider: openai, authToken: { kind: Inline, inline: k } } }
rateLimits: { service: { address: "127.0.0.1:8081" }, rules: [ { clients: ["*"], tokens: { count: total, limit: 100000, per: minute } } ] }
`),
      { caFile: DEFAULT_CA_FILE },
    ) as Obj;
    const genHcm = gen.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const filterOf = (h: Obj) => (h.http_filters as Obj[]).find((f) => f.name === 'envoy.filters.http.ratelimit');
    expect(filterOf(attachHcm)).toEqual(filterOf(genHcm));
    // The fragment leaves out the budgets filter (no budget rule in it); the rules are on the virtual host.
    expect((attachHcm.http_filters as Obj[]).map((f) => f.name)).toEqual(['envoy.filters.http.ext_proc', 'envoy.filters.http.ratelimit', 'envoy.filters.http.router']);
    const rulesOf = (h: Obj) => h.route_config.virtual_hosts[0].typed_per_filter_config;
    expect(rulesOf(attachHcm)).toEqual(rulesOf(genHcm));
    expect(rulesOf(attachHcm)['envoy.filters.http.ratelimit'].rate_limits).toHaveLength(2);
    const clusterOf = (b: Obj) => (b.static_resources.clusters as Obj[]).find((c) => c.name === 'llm_ratelimit');
    expect(clusterOf(attach)).toEqual(clusterOf(gen));
  });

  it('maps a backend’s timeouts and retry onto its cluster and route', () => {
    const c = parseConfigText(`
backends:
  plain: { provider: openai, endpoint: "http://127.0.0.1:9" }
  tuned:
    provider: openai
    endpoint: "http://127.0.0.1:9"
    timeouts: { connect: 2s, firstByte: 1500ms, streamIdle: 30s, request: 5m }
    retry: { attempts: 3, on: [429, 503, 5xx, reset], backoff: { base: 100ms, max: 1s } }
`);
    const b = buildBootstrap(c, { caFile }) as Obj;
    const h = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const route = (n: string) => (h.route_config.virtual_hosts[0].routes as Obj[]).find((r) => r.name === `backend-${n}`)!.route as Obj;
    const clusterOf = (n: string) => (b.static_resources.clusters as Obj[]).find((x) => x.name === `backend_${n}`)!;
    // Defaults for LLM traffic: no retries, and each attempt bounded until its headers only.
    expect(route('plain')).toMatchObject({ timeout: '0s', max_stream_duration: { max_stream_duration: '600s' }, idle_timeout: '60s', retry_policy: { num_retries: 0, per_try_timeout: '120s' } });
    expect(route('plain').retry_policy.retry_on).toBeUndefined();
    expect(clusterOf('plain').connect_timeout).toBe('10s');
    expect(route('tuned')).toMatchObject({
      max_stream_duration: { max_stream_duration: '300s' },
      idle_timeout: '30s',
      retry_policy: {
        num_retries: 2,
        per_try_timeout: '1.5s',
        retry_on: '5xx,reset,retriable-status-codes',
        retriable_status_codes: [429, 503],
        retry_back_off: { base_interval: '0.1s', max_interval: '1s' },
        rate_limited_retry_back_off: { reset_headers: [{ name: 'retry-after', format: 'SECONDS' }, { name: 'x-ratelimit-reset', format: 'UNIX_TIMESTAMP' }] },
      },
    });
    expect(clusterOf('tuned').connect_timeout).toBe('2s');
    expect(h.route_config.virtual_hosts[0].include_attempt_count_in_response).toBe(true);
  });

  const POOLS = `
backends:
  claude: { provider: anthropic, endpoint: "https://api.anthropic.com", authToken: { kind: Inline, inline: k } }
  bedrock: { provider: bedrock, region: us-east-1 }
  local: { provider: openai, endpoint: "http://10.0.0.7:8000" }
pools:
  smart:
    backends:
      - { backend: claude, model: claude-sonnet-4-5, priority: 0 }
      - { backend: bedrock, model: anthropic.claude-sonnet-4-5-v1:0, priority: 5 }
      - { backend: local, priority: 5, weight: 3 }
    outlierDetection: { consecutiveErrors: 4 }
  solo: { backends: [ { backend: local } ] }
`;

  it('a pool is one cluster: one endpoint per member at its priority and weight, each with its own TLS, and the upstream filter', () => {
    const b = buildBootstrap(parseConfigText(POOLS), { caFile }) as Obj;
    const h = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as Obj;
    const route = (h.route_config.virtual_hosts[0].routes as Obj[]).find((r) => r.name === 'pool-smart')!;
    expect(route.match.headers[0].string_match.exact).toBe('smart');
    expect(route.route.cluster).toBe('pool_smart');
    // One attempt per member by default; each retry to a member not tried, the next priority after the last.
    expect(route.route.retry_policy).toMatchObject({
      num_retries: 2,
      retry_on: '5xx,reset,connect-failure,retriable-status-codes',
      retriable_status_codes: [429],
      retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { update_frequency: 1 } },
      retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
    });
    const c = (b.static_resources.clusters as Obj[]).find((x) => x.name === 'pool_smart')!;
    const eps = c.load_assignment.endpoints as Obj[];
    expect(eps.map((e) => [e.locality.sub_zone, e.priority, e.lb_endpoints[0].load_balancing_weight])).toEqual([['claude', 0, 1], ['bedrock', 1, 1], ['local', 1, 3]]);
    expect(eps.map((e) => e.lb_endpoints[0].metadata.filter_metadata.llm_extproc.backend)).toEqual(['claude', 'bedrock', 'local']);
    expect(eps[1]!.lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'bedrock-runtime.us-east-1.amazonaws.com', port_value: 443 });
    // TLS per member: SNI and the name check of its own host; the plain-http member has none.
    expect(c.transport_socket_matches.map((m: Obj) => [m.match.backend, m.transport_socket.typed_config.sni])).toEqual([['claude', 'api.anthropic.com'], ['bedrock', 'bedrock-runtime.us-east-1.amazonaws.com']]);
    expect(c.transport_socket).toBeUndefined();
    const opts = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const [filter, codec] = opts.http_filters;
    expect(codec.name).toBe('envoy.filters.http.upstream_codec');
    expect(filter.typed_config.grpc_service.initial_metadata).toEqual([{ key: 'x-llm-filter', value: 'upstream' }, { key: 'x-llm-pool', value: 'smart' }]);
    expect(filter.typed_config.failure_mode_allow).toBe(false);
    expect(filter.typed_config.metadata_options.forwarding_namespaces.untyped).toEqual(['llm_extproc']);
    // Outlier detection counts 5xx and 429 storms.
    expect(c.outlier_detection).toMatchObject({ consecutive_5xx: 4, max_ejection_percent: 100 });
    expect(JSON.stringify(opts.outlier_detection.error_matcher)).toContain('"exact_match":"429"');
    // A one-member pool retries nothing across members.
    const solo = (h.route_config.virtual_hosts[0].routes as Obj[]).find((r) => r.name === 'pool-solo')!;
    expect(solo.route.retry_policy.retry_priority).toBeUndefined();
    expect(solo.route.retry_policy.retry_host_predicate).toBeUndefined();
  });

  it('accepts the bootstrap with rate limits (the filter with its per-descriptor hits, the service cluster, the 429 mapper)', async () => {
    const limited = parseConfigText(`${POOLS}
clients: { t: { keys: [ { sha256: "${'a'.repeat(64)}" } ] } }
rateLimits:
  rules:
    - { clients: ["*"], requests: { limit: 60, per: minute } }
    - { clients: [t], models: ["claude-*"], tokens: { count: total, limit: 100000, per: month } }
    - { clients: [t], budget: { costUsd: 100, per: month } }
  service: { budgetFailureMode: closed }
pricing: { "claude-*": { input: 3, cachedInput: 0.3, output: 15 } }
`);
    await expectValid(generateBootstrap(limited, { caFile }));
  });

  it('accepts the bootstrap with pools (upstream filters, per-member TLS, outlier detection)', async () => {
    await expectValid(generateBootstrap(parseConfigText(POOLS), { caFile }));
  });

  it('finds the committed Envoy YAML (at least the attach example)', () => {
    expect(files.map((f) => f.name)).toContain('envoy/attach/ext-proc-filter.yaml');
  });
  it.each(files.map((f) => [f.name, f.yaml] as const))('accepts %s', async (_name, yaml) => {
    await expectValid(withDynamicFiles(yaml));
  });
});
