// The chart's envoyGateway mode through Envoy Gateway's own translator and a real Envoy.
//
// `helm template` renders the chart for a config whose backends point at fake providers (one
// with hostOverride, pathOverride and authHeaderOverride; two pools, fallback and weighted);
// a GatewayClass and a Gateway with one HTTP listener are added; `egctl experimental
// translate` (Envoy Gateway v1.9.1, the translator its controller runs) turns that into the
// exact listeners, routes, clusters and endpoints Envoy Gateway would serve its proxies. That
// dump becomes a static bootstrap (eg-bootstrap.ts says exactly what is rewritten: addresses
// and xDS delivery, nothing else), a real Envoy 1.40 runs it, and the rendered processor
// container runs beside it (rendered-processor.ts). The official OpenAI SDK sends requests;
// the fakes answer only what a provider would accept (host, credential, path, body), and say
// what else they got.
//
// What this cannot show: no Kubernetes API server or Envoy Gateway controller runs here, so
// CEL validation, the controller's reconciliation, Service endpoints, TLS to a real provider
// and the EnvoyPatchPolicy feature gate are not exercised; only the translator is.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunningEnvoy, startEnvoy } from '../../src/envoy/launcher.js';
import { skipRealEnvoy, theEnvoy } from '../envoy/available.js';
import { chatCompletion, chatStream } from '../e2e/fixtures.js';
import { type FakeUpstream, type Recorded, type Reply, startFakeUpstream } from '../e2e/harness.js';
import { sampleValue, scrape } from '../e2e/observe.js';
import { type AddressMap, findFilter, staticBootstrap, xdsResources } from './eg-bootstrap.js';
import { egTranslate, falseConditions, gatewayFor, skipEgctl, type Translation } from './egctl.js';
import { freePort, type RunningProcessor, startRenderedProcessor } from './rendered-processor.js';
import { conform, type Manifest, render } from './tools.js';

type Obj = Record<string, any>;
const GW_NS = 'edge';
const RELEASE_NS = 'llm';
const EXT_PROC_FILTER = `envoy.filters.http.ext_proc/envoyextensionpolicy/${GW_NS}/gw-llm-extproc/extproc/0`;
const UPSTREAM_ATTRIBUTE = "xds.upstream_host_metadata.filter_metadata['llm_extproc']['backend']";

/** Each backend: where the config says it lives, its key, and what its provider speaks. */
const BACKENDS = {
  primary: { endpoint: 'http://primary.llm.test:8000', key: 'sk-primary', provider: 'openai' },
  custom: { endpoint: 'http://custom.llm.test:8001', key: 'sk-custom', provider: 'openai' },
  plain: { endpoint: 'http://plain.llm.test:8002', key: 'sk-plain', provider: 'openai' },
  claude: { endpoint: 'http://claude.llm.test:8003', key: 'sk-ant-claude', provider: 'anthropic' },
  backup: { endpoint: 'http://backup.llm.test:8004', key: 'sk-backup', provider: 'openai' },
  blue: { endpoint: 'http://blue.llm.test:8005', key: 'sk-blue', provider: 'openai' },
  green: { endpoint: 'http://green.llm.test:8006', key: 'sk-green', provider: 'openai' },
  slow: { endpoint: 'http://slow.llm.test:8007', key: 'sk-slow', provider: 'openai' },
} as const;
type Name = keyof typeof BACKENDS;
const NAMES = Object.keys(BACKENDS) as Name[];
const hostPort = (n: Name) => new URL(BACKENDS[n].endpoint).host;

/** A provider Envoy cannot reach: its address maps to a local port where nothing listens. */
const DOWN = { endpoint: 'http://down.llm.test:8009', key: 'sk-down' };

const config = {
  defaultBackend: 'primary',
  backends: {
    down: { provider: 'openai', endpoint: DOWN.endpoint, authToken: { kind: 'SecretRef', secretRef: { file: '/run/secrets/llm-extproc/down' } } },
    ...Object.fromEntries(
      NAMES.map((n) => [n, { provider: BACKENDS[n].provider, endpoint: BACKENDS[n].endpoint, authToken: { kind: 'SecretRef', secretRef: { file: `/run/secrets/llm-extproc/${n}` } } }]),
    ),
    // Its own timeouts, short enough to watch one expire.
    slow: { provider: 'openai', endpoint: BACKENDS.slow.endpoint, timeouts: { request: '2s' }, authToken: { kind: 'SecretRef', secretRef: { file: '/run/secrets/llm-extproc/slow' } } },
    custom: {
      provider: 'openai',
      endpoint: BACKENDS.custom.endpoint,
      hostOverride: 'apic.example.com',
      pathOverride: '/my-openai-service/gpt4/chat/completions',
      authHeaderOverride: { headerName: 'api-key', prefix: '' },
      authToken: { kind: 'SecretRef', secretRef: { file: '/run/secrets/llm-extproc/custom' } },
    },
  },
  pools: {
    // Fallback: Anthropic first (translated from the OpenAI dialect), then an OpenAI backend.
    smart: { backends: [{ backend: 'claude', model: 'claude-sonnet-4-5', priority: 0 }, { backend: 'backup', model: 'gpt-4o', priority: 1 }], outlierDetection: { consecutiveErrors: 3 } },
    // Weighted: one locality each, same weight.
    canary: { backends: [{ backend: 'blue', weight: 1 }, { backend: 'green', weight: 1 }] },
  },
};

/** What the fakes saw that a provider would not accept. */
const problems: string[] = [];
const fakes = {} as Record<Name, FakeUpstream>;
/** How each fake answers its next requests (a 503 outage or a normal answer). */
const outage = new Set<Name>();

/** A fake provider that checks what the gateway must send it and answers like the provider. */
function provider(name: Name, expect: { host: string; path: string; auth: [string, string] }) {
  return (req: Recorded): Reply => {
    const wrong: string[] = [];
    if (req.method !== 'POST' || req.url !== expect.path) wrong.push(`${req.method} ${req.url} (wanted ${expect.path})`);
    if (req.headers.host !== expect.host) wrong.push(`host ${String(req.headers.host)} (wanted ${expect.host})`);
    const [header, value] = expect.auth;
    if (req.headers[header] !== value) wrong.push(`${header} ${String(req.headers[header])}`);
    // The client's own key never reaches a provider; only the gateway's, in the provider's place.
    if (header !== 'authorization' && req.headers.authorization !== undefined) wrong.push(`authorization ${String(req.headers.authorization)} also sent`);
    let body: Obj = {};
    try {
      body = JSON.parse(req.body.toString()) as Obj;
    } catch {
      wrong.push('body is not JSON');
    }
    if (BACKENDS[name].provider === 'anthropic') {
      if (req.headers['anthropic-version'] === undefined) wrong.push('no anthropic-version');
      if (body.model !== 'claude-sonnet-4-5' || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') wrong.push(`not an Anthropic Messages body: ${req.body.toString().slice(0, 200)}`);
    } else if (!Array.isArray(body.messages)) wrong.push(`not a chat body: ${req.body.toString().slice(0, 200)}`);
    if (wrong.length) {
      problems.push(`${name}: ${wrong.join('; ')}`);
      return { status: 400, json: { error: { message: wrong.join('; '), type: 'fake_provider_check', code: 'unexpected_request' } } };
    }
    if (outage.has(name)) {
      return BACKENDS[name].provider === 'anthropic'
        ? { status: 503, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }
        : { status: 503, json: { error: { message: 'unavailable', type: 'server_error', code: null } } };
    }
    if (BACKENDS[name].provider === 'anthropic') {
      return {
        json: { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: `Hello from ${name}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 9, output_tokens: 4 } },
      };
    }
    if (body.stream === true) return { sse: chatStream(String(body.model), ['Hello', ' from ', name], body.stream_options?.include_usage === true), delayMs: 20 };
    return { json: chatCompletion(String(body.model ?? 'gpt-4o-mini'), `Hello from ${name}`) };
  };
}

interface Run {
  envoy: RunningEnvoy;
  url: string;
  log: () => string;
}

/** A real Envoy on EG's xDS as a static bootstrap; `edit` changes it first (the control experiment only). */
async function runEnvoy(t: Translation, addresses: AddressMap, edit?: (b: Obj) => void): Promise<Run> {
  const logPath = join(mkdtempSync(join(tmpdir(), 'llm-extproc-eg-envoy-')), 'access.log');
  const { bootstrap } = staticBootstrap(t.xds, addresses, logPath);
  edit?.(bootstrap);
  const envoy = await startEnvoy({ bootstrapYaml: stringify(bootstrap), concurrency: 1, envoy: theEnvoy(), stdout: 'ignore', accessLogFlushMs: 100 });
  const port = envoy.listenerPorts[`${GW_NS}/llm-gateway/http`];
  if (!port) throw new Error(`no Gateway listener among ${Object.keys(envoy.listenerPorts).join(', ')}`);
  return { envoy, url: `http://127.0.0.1:${port}`, log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '') };
}

const client = (run: Run, headers: Record<string, string> = {}) => new OpenAI({ apiKey: 'sk-client-not-for-providers', baseURL: `${run.url}/v1`, defaultHeaders: headers, maxRetries: 0, timeout: 20_000 });
const ask = async (run: Run, headers: Record<string, string>, model = 'gpt-4o-mini') => {
  const r = await client(run, headers)
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  return { text: r.data.choices[0]?.message.content, backend: r.response.headers.get('x-llm-backend') };
};

/** Envoy's count of header mutations the ext_proc filter refused (its mutation rules). */
async function rejectedMutations(run: Run): Promise<number> {
  const text = await (await fetch(`${run.envoy.adminUrl}/stats?filter=ext_proc.*rejected_header_mutations`)).text();
  const counts = [...text.matchAll(/rejected_header_mutations: (\d+)/g)].map((m) => Number(m[1]));
  if (!counts.length) throw new Error(`no rejected_header_mutations counter in: ${text}`);
  return counts.reduce((a, b) => a + b, 0);
}


describe.skipIf(skipEgctl || skipRealEnvoy)("envoyGateway mode through Envoy Gateway's translator (egctl v1.9.1) and a real Envoy", () => {
  let manifests: Manifest[];
  let translation: Translation;
  let withoutPatches: Translation;
  let withoutTraffic: Translation;
  let addresses: AddressMap;
  let processor: RunningProcessor | undefined;
  let gateway: Run | undefined;
  const ports = { grpc: 0, admin: 0 };

  beforeAll(async () => {
    for (const n of NAMES) {
      const host = n === 'custom' ? 'apic.example.com' : new URL(BACKENDS[n].endpoint).hostname;
      const anthropic = BACKENDS[n].provider === 'anthropic';
      // Pool members get their host from the upstream filter, which applies the processor's
      // :authority (host:port); single backends from the route's URLRewrite (a hostname, no port).
      const inPool = ['claude', 'backup', 'blue', 'green'].includes(n);
      fakes[n] = await startFakeUpstream(
        provider(n, {
          host: inPool ? hostPort(n) : host,
          path: n === 'custom' ? '/my-openai-service/gpt4/chat/completions' : anthropic ? '/v1/messages' : '/v1/chat/completions',
          auth: n === 'custom' ? ['api-key', BACKENDS[n].key] : anthropic ? ['x-api-key', BACKENDS[n].key] : ['authorization', `Bearer ${BACKENDS[n].key}`],
        }),
      );
    }
    // The plain backend shows the caveat: it must keep whatever host the client sent.
    fakes.plain.reply = (req) => {
      if (req.headers.authorization !== `Bearer ${BACKENDS.plain.key}`) problems.push(`plain: authorization ${String(req.headers.authorization)}`);
      return { json: chatCompletion('gpt-4o-mini', `host=${String(req.headers.host)}`) };
    };
    ports.grpc = await freePort();
    ports.admin = await freePort();
    manifests = render(
      {
        mode: 'envoyGateway',
        config,
        secrets: { values: { ...Object.fromEntries(NAMES.map((n) => [n, BACKENDS[n].key])), down: DOWN.key } },
        ports,
        envoyGateway: { gateway: { name: 'llm-gateway', namespace: GW_NS }, envoyPatchPolicy: true },
      },
      { namespace: RELEASE_NS },
    );
    // The chart's workaround taken away from one rule, to show what Envoy Gateway does without it.
    const route = structuredClone(manifests.find((m) => m.kind === 'HTTPRoute')!);
    const plainRule = route.spec.rules.find((r: Obj) => r.name === 'plain');
    plainRule.filters = plainRule.filters.filter((f: Obj) => f.type !== 'URLRewrite');
    const input = [...gatewayFor('llm-gateway', GW_NS), ...manifests.map((m) => (m.kind === 'HTTPRoute' ? route : m))];
    translation = egTranslate(input);
    withoutPatches = egTranslate(input.filter((m) => m.kind !== 'EnvoyPatchPolicy'));
    withoutTraffic = egTranslate(input.filter((m) => m.kind !== 'BackendTrafficPolicy'));
    const x = xdsResources(translation.xds);
    const processorCla = x.endpoints.get(`envoyextensionpolicy/${GW_NS}/gw-llm-extproc/extproc/0`);
    const clusterIp = processorCla?.endpoints[0].lbEndpoints[0].endpoint.address.socketAddress;
    addresses = {
      [`${clusterIp?.address}:${clusterIp?.portValue}`]: { address: '127.0.0.1', port: ports.grpc },
      ...Object.fromEntries(NAMES.map((n) => [hostPort(n), { address: '127.0.0.1', port: fakes[n].port }])),
      [new URL(DOWN.endpoint).host]: { address: '127.0.0.1', port: await freePort() },
    };
    processor = await startRenderedProcessor(manifests, ports.admin);
    gateway = await runEnvoy(translation, addresses);
  }, 120_000);

  // Each test answers for what the fakes saw during it.
  beforeEach(() => {
    problems.splice(0);
  });

  afterAll(async () => {
    await gateway?.envoy.stop();
    await processor?.stop();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  it('the rendered objects conform (kubeconform) and Envoy Gateway accepts every one of them', async () => {
    const report = await conform(manifests);
    expect(report.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
    expect(report.summary.valid).toBe(manifests.length);
    expect(falseConditions(translation)).toEqual([]);
    for (const kind of ['httpRoutes', 'envoyExtensionPolicies', 'envoyPatchPolicies', 'backendTrafficPolicies', 'clientTrafficPolicies', 'backends']) expect(translation.resources[kind]?.length ?? 0, kind).toBeGreaterThan(0);
  });

  it("Envoy Gateway's ext_proc filter: on the listener disabled, enabled per route, and with no mutation_rules (so no :authority from the processor)", () => {
    const x = xdsResources(translation.xds);
    const listener = x.listeners.find((l) => l.name === `${GW_NS}/llm-gateway/http`)!;
    const filter = findFilter(listener, EXT_PROC_FILTER)!;
    expect(filter, 'the ext_proc filter').toBeDefined();
    expect(filter.disabled).toBe(true);
    const cfg = filter.typedConfig;
    // The caveat itself: Envoy applies :authority/host (and :scheme, :method) only with
    // mutation_rules.allow_all_routing; EG v1.9.1's EnvoyExtensionPolicy has no field for it.
    expect(cfg.mutationRules).toBeUndefined();
    expect(cfg).toMatchObject({
      allowModeOverride: true,
      messageTimeout: '30s',
      processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'BUFFERED', responseHeaderMode: 'SEND', responseBodyMode: 'STREAMED' },
      requestAttributes: ['xds.route_metadata'],
      metadataOptions: { receivingNamespaces: { untyped: ['llm_extproc'] } },
    });
    expect(cfg.failureModeAllow ?? false).toBe(false);
    const routes = x.routes.get(`${GW_NS}/llm-gateway/http`)!.virtualHosts[0].routes as Obj[];
    // Every rule of the chart's HTTPRoute, the catch-all included, turns the filter on.
    expect(routes).toHaveLength(Object.keys(config.backends).length + Object.keys(config.pools).length + 1);
    for (const r of routes) expect(r.typedPerFilterConfig?.[EXT_PROC_FILTER], r.name).toMatchObject({ '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig' });
    // Every route to a provider strips the header that marks Envoy's own replies, and has the
    // config's timeouts (else Envoy's 15 s default route timeout; see withoutTraffic below).
    for (const r of routes.filter((x) => x.route)) {
      expect(r.responseHeadersToRemove, r.name).toEqual(['x-llm-error-code']);
      const slow = r.match.headers[0].stringMatch.exact === 'slow';
      expect([r.route.timeout, r.route.idleTimeout, r.route.retryPolicy?.perTryTimeout], r.name).toEqual([slow ? '2s' : '600s', '60s', '120s']);
    }
    const bare = xdsResources(withoutTraffic.xds).routes.get(`${GW_NS}/llm-gateway/http`)!.virtualHosts[0].routes as Obj[];
    for (const r of bare.filter((x) => x.route)) expect(r.route.timeout, r.name).toBeUndefined();
    const byBackend = (n: string) => routes.find((r) => r.match.headers?.[0]?.stringMatch?.exact === n)!;
    expect(byBackend('custom').route.hostRewriteLiteral).toBe('apic.example.com');
    expect(byBackend('primary').route.hostRewriteLiteral).toBe('primary.llm.test');
    expect(byBackend('plain').route.hostRewriteLiteral).toBeUndefined();
    // Pools: no host rewrite (the upstream filter sets it per member); retries to the next member and priority.
    expect(byBackend('smart').route.hostRewriteLiteral).toBeUndefined();
    expect(byBackend('smart').route.retryPolicy).toMatchObject({ numRetries: 1, retryOn: '5xx,connect-failure,reset,retriable-status-codes', retriableStatusCodes: [429], retryPriority: { name: 'envoy.retry_priorities.previous_priorities' } });
    expect(byBackend('smart').route.retryPolicy.retryHostPredicate[0].name).toBe('envoy.retry_host_predicates.previous_hosts');
    expect(byBackend('canary').route.retryPolicy.retryPriority).toBeUndefined();
  });

  it('the EnvoyPatchPolicy only adds to each pool cluster: the upstream filter and the member names, on the right endpoints', () => {
    const patched = new Map(xdsResources(translation.xds).clusters.map((c) => [c.name, c]));
    const plain = new Map(xdsResources(withoutPatches.xds).clusters.map((c) => [c.name, c]));
    const poolClusters = [...patched.values()].filter((c) => c.metadata?.filterMetadata?.['envoy-gateway']?.resources?.[0]?.sectionName in config.pools);
    expect(poolClusters.map((c) => c.metadata.filterMetadata['envoy-gateway'].resources[0].sectionName).sort()).toEqual(['canary', 'smart']);
    for (const c of poolClusters) {
      const pool = c.metadata.filterMetadata['envoy-gateway'].resources[0].sectionName as keyof typeof config.pools;
      const opts = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      const [ext, codec] = opts.httpFilters;
      expect(codec.name).toBe('envoy.filters.http.upstream_codec');
      expect(ext.typedConfig).toMatchObject({
        grpcService: { envoyGrpc: { clusterName: `envoyextensionpolicy/${GW_NS}/gw-llm-extproc/extproc/0` }, initialMetadata: [{ key: 'x-llm-filter', value: 'upstream' }, { key: 'x-llm-pool', value: pool }] },
        mutationRules: { allowAllRouting: true },
        requestAttributes: [UPSTREAM_ATTRIBUTE],
        metadataOptions: { forwardingNamespaces: { untyped: ['llm_extproc'] } },
      });
      // Each endpoint is named as the member whose host it is, at the member's priority.
      const members = config.pools[pool].backends;
      const localities = c.loadAssignment.endpoints as Obj[];
      expect(localities.map((l) => [l.lbEndpoints[0].metadata.filterMetadata.llm_extproc.backend, `${l.lbEndpoints[0].endpoint.address.socketAddress.address}:${l.lbEndpoints[0].endpoint.address.socketAddress.portValue}`, l.priority ?? 0])).toEqual(
        members.map((m) => [m.backend, hostPort(m.backend as Name), 'priority' in m ? m.priority : 0]),
      );
      // outlierDetection, where the config has it (5xx and connection failures; not 429s).
      expect(c.outlierDetection ?? null, pool).toEqual(pool === 'smart' ? expect.objectContaining({ consecutive5xx: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 }) : null);
      // Nothing else differs from what Envoy Gateway made without the patch.
      const before = structuredClone(plain.get(c.name)!);
      const after = structuredClone(c);
      delete after.typedExtensionProtocolOptions;
      for (const l of after.loadAssignment.endpoints) delete l.lbEndpoints[0].metadata;
      expect(before.typedExtensionProtocolOptions).toBeUndefined();
      expect(after).toEqual(before);
    }
  });

  it('the default backend: provider host (URLRewrite), the Secret key as Bearer, the chat path', async () => {
    const before = fakes.primary.requests.length;
    const r = await ask(gateway!, {});
    expect(problems).toEqual([]);
    expect(r).toEqual({ text: 'Hello from primary', backend: 'primary' });
    expect(fakes.primary.requests.length).toBe(before + 1);
    expect(fakes.primary.last().headers['x-llm-backend']).toBe('primary');
  });

  it('a stream (the policy\'s Streamed response body, the processor\'s mode override): every chunk arrives, the usage-only chunk the client did not ask for does not', async () => {
    const stream = await client(gateway!).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const chunks: string[] = [];
    let usageChunks = 0;
    for await (const c of stream) {
      if (c.usage) usageChunks++;
      const t = c.choices[0]?.delta.content;
      if (t) chunks.push(t);
    }
    expect(problems).toEqual([]);
    expect(chunks).toEqual(['Hello', ' from ', 'primary']);
    // The processor asked the provider for usage, and kept that chunk from a client that did not ask.
    expect(JSON.parse(fakes.primary.last().body.toString()).stream_options).toEqual({ include_usage: true });
    expect(usageChunks).toBe(0);
  });

  // Envoy's route timeout defaults to 15 s and spans the whole answer. The same 16 s stream runs
  // at once through the chart's xDS and, as a control, through Envoy Gateway's xDS for the same
  // objects without the BackendTrafficPolicies: there Envoy cuts it.
  it("a stream that lasts 16 s gets through; without the chart's BackendTrafficPolicies Envoy's 15 s default cuts it", { timeout: 60_000 }, async () => {
    const words = Array.from({ length: 16 }, (_, i) => `w${i} `);
    const reply = fakes.primary.reply;
    fakes.primary.reply = (req) => ({ sse: chatStream('gpt-4o-mini', words, JSON.parse(req.body.toString()).stream_options?.include_usage === true), delayMs: 1000 });
    const control = await runEnvoy(withoutTraffic, addresses);
    const read = async (run: Run) => {
      const started = Date.now();
      let text = '';
      try {
        const stream = await client(run).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
        return { text, ms: Date.now() - started, failed: false };
      } catch {
        return { text, ms: Date.now() - started, failed: true };
      }
    };
    try {
      const [chart, bare] = await Promise.all([read(gateway!), read(control)]);
      expect(chart).toMatchObject({ text: words.join(''), failed: false });
      expect(chart.ms).toBeGreaterThan(15_000);
      expect(bare.failed, `without the policies: ${JSON.stringify(bare)}`).toBe(true);
      expect(bare.text.length).toBeLessThan(words.join('').length);
      expect(bare.ms).toBeGreaterThan(14_000);
      expect(bare.ms).toBeLessThan(16_500);
    } finally {
      fakes.primary.reply = reply;
      await control.envoy.stop();
    }
  });

  it("a backend's own timeouts.request applies: a 2 s limit cuts a longer stream", async () => {
    fakes.slow.reply = () => ({ sse: chatStream('gpt-4o-mini', ['a', 'b', 'c', 'd', 'e', 'f'], false), delayMs: 700 });
    const started = Date.now();
    const stream = await client(gateway!, { 'x-llm-backend': 'slow' }).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(text.length).toBeLessThan(6);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('a backend with hostOverride, pathOverride and authHeaderOverride, selected by header', async () => {
    const r = await ask(gateway!, { 'x-llm-backend': 'custom' });
    expect(problems).toEqual([]);
    expect(r).toEqual({ text: 'Hello from custom', backend: 'custom' });
    const got = fakes.custom.last();
    expect(got.headers.host).toBe('apic.example.com');
    expect(got.url).toBe('/my-openai-service/gpt4/chat/completions');
    expect(got.headers['api-key']).toBe('sk-custom');
  });

  it("the caveat is real: a rule without the URLRewrite keeps the client's host, though the processor set the provider's", async () => {
    const before = await rejectedMutations(gateway!);
    const r = await ask(gateway!, { 'x-llm-backend': 'plain' });
    expect(problems).toEqual([]);
    // The host the SDK sent (Envoy's listener), not plain.llm.test:8002 that the processor wrote...
    expect(r.text).toBe(`host=${new URL(gateway!.url).host}`);
    // ...which Envoy dropped and counted (disallowed mutations are not errors by default).
    expect(await rejectedMutations(gateway!)).toBeGreaterThan(before);
  });

  it("...and the cause is the missing mutation_rules: with allow_all_routing on EG's filter, the same rule gets the processor's host", async () => {
    const control = await runEnvoy(translation, addresses, (b) => {
      const listener = b.staticResources.listeners.find((l: Obj) => l.name === `${GW_NS}/llm-gateway/http`);
      findFilter(listener, EXT_PROC_FILTER)!.typedConfig.mutationRules = { allowAllRouting: true };
    });
    try {
      const r = await ask(control, { 'x-llm-backend': 'plain' });
      expect(r.text).toBe(`host=${hostPort('plain')}`);
      expect(await rejectedMutations(control)).toBe(0);
    } finally {
      await control.envoy.stop();
    }
  });

  it('a fallback pool: its primary (Anthropic) answers 503, the fallback (OpenAI) answers; each attempt translated and keyed for its member', async () => {
    const fallbacks = async () => sampleValue(await scrape(`http://127.0.0.1:${ports.admin}`), 'llm_extproc_fallbacks_total', { pool: 'smart', backend: 'backup' });
    const f0 = await fallbacks();
    outage.add('claude');
    try {
      const c0 = fakes.claude.requests.length;
      const b0 = fakes.backup.requests.length;
      const r = await ask(gateway!, { 'x-llm-backend': 'smart' }, 'anything');
      expect(problems).toEqual([]);
      expect(r).toEqual({ text: 'Hello from backup', backend: 'backup' });
      expect(fakes.claude.requests.length).toBe(c0 + 1);
      expect(fakes.backup.requests.length).toBe(b0 + 1);
      // The first attempt was an Anthropic Messages request, the second an OpenAI one, with the member's model.
      expect(JSON.parse(fakes.backup.last().body.toString()).model).toBe('gpt-4o');
      expect(fakes.backup.last().headers['x-api-key']).toBeUndefined();
      // The processor counted it as the pool's fallback, by the member that answered.
      expect(await fallbacks()).toBe(f0 + 1);
    } finally {
      outage.delete('claude');
    }
    // The primary back: it answers, translated from Anthropic's shape into OpenAI's.
    const r = await ask(gateway!, { 'x-llm-backend': 'smart' });
    expect(problems).toEqual([]);
    expect(r).toEqual({ text: 'Hello from claude', backend: 'claude' });
  });

  // Envoy Gateway has no local_reply_config for the client's dialect: the policy asks for each
  // response's code details, and the processor renders Envoy's own replies itself.
  it('a provider Envoy cannot reach: 503 upstream_unavailable in the client\'s dialect, from Envoy\'s code details', async () => {
    const err = await client(gateway!, { 'x-llm-backend': 'down' })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_unavailable');
  });

  it('a provider Envoy cannot reach: the same 503 for an Anthropic client, in Anthropic\'s shape, never another provider or a 200', async () => {
    const r = await fetch(`${gateway!.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-llm-backend': 'down' }, body: JSON.stringify({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(r.status).toBe(503);
    expect(r.headers.get('x-llm-backend')).toBe('down');
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = (await r.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.message).toMatch(/upstream_unavailable/);
    expect(body.error.message).toMatch(/could not be reached \(upstream_reset_before_response_started/);
  });

  // The ClientTrafficPolicy raises the listener's buffer for the router-level filter. The pool's
  // cluster keeps Envoy Gateway's 32 KiB per-connection limit, and the upstream filter, which
  // buffers the body again for each attempt, is not bound by it (Envoy 1.40): no policy needed.
  it('a 4 MiB request through a pool: the upstream filter buffers it past the cluster\'s 32 KiB connection limit', async () => {
    const clusters = xdsResources(translation.xds).clusters.filter((c) => c.metadata?.filterMetadata?.['envoy-gateway']?.resources?.[0]?.sectionName in config.pools);
    for (const c of clusters) expect(c.perConnectionBufferLimitBytes, c.name).toBe(32 * 1024);
    const big = 'x'.repeat(4 * 1024 * 1024);
    const r = await client(gateway!, { 'x-llm-backend': 'canary' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: big }] });
    expect(problems).toEqual([]);
    expect(r.choices[0]?.message.content).toMatch(/^Hello from (blue|green)$/);
    const got = [fakes.blue.requests.at(-1), fakes.green.requests.at(-1)].find((x) => x && x.body.length > big.length)!;
    expect(JSON.parse(got.body.toString()).messages[0].content).toBe(big);
  });

  // The processor takes a response carrying x-llm-error-code for Envoy's own reply and passes it
  // on untranslated; a provider must not be able to pass for Envoy (the standalone bootstrap
  // strips the header from upstream answers on its virtual host).
  it("a provider's answer cannot pass for Envoy's own reply: x-llm-error-code is stripped, the error translated", async () => {
    const reply = fakes.claude.reply;
    fakes.claude.reply = () => ({ status: 429, headers: { 'x-llm-error-code': 'forged', 'retry-after': '7' }, json: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } });
    try {
      const r = await fetch(`${gateway!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'claude' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(r.status).toBe(429);
      expect(r.headers.get('x-llm-error-code')).toBeNull();
      expect(r.headers.get('retry-after')).toBe('7');
      // OpenAI's error shape for the OpenAI client, not Anthropic's.
      const body = (await r.json()) as Obj;
      expect(body.type).toBeUndefined();
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error.message).toBe('slow down');
    } finally {
      fakes.claude.reply = reply;
    }
  });

  it('a weighted pool reaches both members', async () => {
    const b0 = fakes.blue.requests.length;
    const g0 = fakes.green.requests.length;
    const answeredBy = new Set<string | null>();
    for (let i = 0; i < 40; i++) answeredBy.add((await ask(gateway!, { 'x-llm-backend': 'canary' })).backend);
    expect(problems).toEqual([]);
    expect([...answeredBy].sort()).toEqual(['blue', 'green']);
    expect(fakes.blue.requests.length - b0 + (fakes.green.requests.length - g0)).toBe(40);
    expect(fakes.blue.requests.length - b0).toBeGreaterThan(5);
    expect(fakes.green.requests.length - g0).toBeGreaterThan(5);
  });
});
