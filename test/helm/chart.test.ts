// The Helm chart (deploy/helm/llm-extproc), rendered with `helm template` for each mode and
// several values sets. Every manifest is validated by kubeconform in strict mode against
// local schemas (Kubernetes 1.37 from the kubernetes-validate wheel; Gateway API, Envoy
// Gateway and Prometheus Operator CRDs converted by scripts/kube-schemas.mjs). No cluster
// runs here: these checks stand in for `kubectl apply --dry-run=server`.
// The standalone bootstrap is made by running the init container's own command, and then
// checked by a real `envoy --mode validate`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../../src/envoy/find.js';
import { validateBootstrap } from '../../src/envoy/launcher.js';
import { skipRealEnvoy, theEnvoy } from '../envoy/available.js';
import { conform, lint, type Manifest, render, skipHelm } from './tools.js';

const example = (name: string) => parseYaml(readFileSync(join(packageRoot(), 'deploy', 'examples', name), 'utf8'));
const kinds = (ms: Manifest[]) => ms.map((m) => m.kind).sort();
const one = (ms: Manifest[], kind: string, name?: string) => {
  const found = ms.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};
const podSpec = (ms: Manifest[]) => one(ms, 'Deployment').spec.template.spec;

/** Values sets, each rendered and validated. */
const CASES: Record<string, object> = {
  'standalone defaults': {},
  'standalone, every option': {
    config: example('providers.yaml'),
    secrets: { values: { openai: 'sk-test', 'gcp.json': '{}' } },
    autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 6 },
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    networkPolicy: { adminFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
    env: [{ name: 'AWS_REGION', value: 'us-east-1' }],
    podAnnotations: { team: 'platform' },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'llm-extproc' } } }],
    service: { type: 'LoadBalancer' },
    serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/llm-gateway' } },
  },
  'standalone, no policies': { podDisruptionBudget: { enabled: false }, networkPolicy: { enabled: false }, secrets: { existingSecret: 'provider-keys' }, serviceAccount: { create: false } },
  'envoyGateway, every provider': { mode: 'envoyGateway', config: example('providers.yaml'), secrets: { existingSecret: 'provider-keys' }, serviceMonitor: { enabled: true } },
  'envoyGateway, Gateway in another namespace': {
    mode: 'envoyGateway',
    config: example('004-default-backend.yaml'),
    envoyGateway: { gateway: { name: 'shared', namespace: 'envoy-gateway-system' }, hostnames: ['llm.example.com'] },
    autoscaling: { enabled: true },
  },
  'envoyGateway, custom selector header and an http backend': {
    mode: 'envoyGateway',
    config: {
      selectorHeader: 'aigw-backend-selector',
      backends: {
        local_vllm: { provider: 'openai', endpoint: 'http://vllm.models.svc:8000' },
        'azure-custom': { provider: 'openai', hostOverride: 'apic.example.com', endpoint: 'https://apic.example.com:8443' },
      },
    },
  },
  // Pool members over TLS, plain HTTP and mixed: each shape of the EnvoyPatchPolicy's patches.
  'envoyGateway, pools (fallback, weighted, TLS) with the EnvoyPatchPolicy': {
    mode: 'envoyGateway',
    envoyGateway: { envoyPatchPolicy: true, gateway: { name: 'shared', namespace: 'edge' } },
    config: {
      backends: {
        anthropic: { provider: 'anthropic', timeouts: { connect: '5s', firstByte: '60s', streamIdle: '30s', request: '300s' }, retry: { attempts: 3, on: ['reset', 503] } },
        openai: { provider: 'openai' },
        local: { provider: 'openai', endpoint: 'http://vllm.models.svc:8000' },
      },
      pools: {
        smart: { backends: [{ backend: 'anthropic', priority: 0 }, { backend: 'openai', priority: 1 }], retry: { attempts: 2, on: [429, '5xx'], backoff: { base: '100ms', max: '1s' } } },
        canary: { backends: [{ backend: 'openai', weight: 90 }, { backend: 'local', weight: 10 }] },
      },
    },
  },
};

describe.skipIf(skipHelm)('helm chart: every manifest conforms (kubeconform -strict, local schemas)', () => {
  for (const [name, values] of Object.entries(CASES)) {
    it(name, async () => {
      const manifests = render(values);
      const report = await conform(manifests);
      const bad = report.resources.filter((r) => r.status !== 'statusValid');
      expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
      expect(report.summary).toEqual({ valid: manifests.length, invalid: 0, errors: 0, skipped: 0 });
    });
  }

  it('helm lint --strict passes in both modes', () => {
    for (const sets of [[], ['mode=envoyGateway']]) {
      const r = lint(sets);
      expect(r.ok, r.output).toBe(true);
    }
  });

  it('the check has teeth: an unknown field, a wrong type, a kind without a schema fail', async () => {
    const ms = render({ mode: 'envoyGateway' });
    const dep = structuredClone(one(ms, 'Deployment'));
    dep.spec.template.spec.containers[0].readinesProbe = { grpc: { port: 50051 } };
    const route = structuredClone(one(ms, 'HTTPRoute'));
    route.spec.rules[0].matches[0].headers[0].typ = 'Exact';
    const ctp = structuredClone(one(ms, 'ClientTrafficPolicy'));
    ctp.spec.connection.bufferLimit = { size: 1 };
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const report = await conform([dep, route, ctp, unknown]);
    expect(report.summary).toMatchObject({ valid: 0, invalid: 3, errors: 1 });
  });
});

describe.skipIf(skipHelm)('helm chart: standalone mode', () => {
  const ms = render({ secrets: { values: { openai: 'sk-test' } } });

  it('renders Envoy beside the processor, no Gateway API objects', () => {
    expect(kinds(ms)).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount']);
    const pod = podSpec(ms);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['processor', 'envoy']);
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['envoy-config']);
    expect(one(ms, 'Service').spec.ports.map((p: any) => p.name)).toEqual(['http', 'admin']);
  });

  it('probes the processor with grpc.health.v1 on the ext_proc port', () => {
    const proc = podSpec(ms).containers[0];
    expect(proc.readinessProbe.grpc).toEqual({ port: 50051 });
    expect(proc.livenessProbe.grpc).toEqual({ port: 50051 });
    // Liveness outlasts the 20 s drain, so a draining pod is not killed.
    expect(proc.livenessProbe.periodSeconds * proc.livenessProbe.failureThreshold).toBeGreaterThan(20);
  });

  it('stops in order: endpoints drop the pod, the processor drains, then Envoy exits', () => {
    const pod = podSpec(ms);
    const [proc, envoy] = pod.containers;
    expect(proc.lifecycle.preStop.sleep.seconds).toBe(5);
    expect(proc.env).toContainEqual({ name: 'SHUTDOWN_GRACE_MS', value: '20000' });
    expect(envoy.lifecycle.preStop.sleep.seconds).toBe(25);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(25);
    const long = podSpec(render({ shutdown: { graceSeconds: 300 }, terminationGracePeriodSeconds: 320 }));
    expect(long.containers[1].lifecycle.preStop.sleep.seconds).toBe(305);
    expect(long.containers[0].livenessProbe.periodSeconds * long.containers[0].livenessProbe.failureThreshold).toBeGreaterThan(300);
    expect(() => render({ shutdown: { graceSeconds: 300 } })).toThrow(/terminationGracePeriodSeconds \(30\) must be at least/);
  });

  it('every container is non-root, read-only, without capabilities', () => {
    const pod = podSpec(ms);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext, c.name).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.securityContext.runAsUser, c.name).toBeGreaterThan(0);
      expect(c.resources.limits.memory, c.name).toBeTruthy();
    }
  });

  it('mounts the Secret as a whole directory (no subPath: rotation reaches the processor)', () => {
    const proc = podSpec(ms).containers[0];
    const mount = proc.volumeMounts.find((m: any) => m.name === 'secrets');
    expect(mount).toEqual({ name: 'secrets', mountPath: '/run/secrets/llm-extproc', readOnly: true });
    expect(one(ms, 'Secret').stringData).toEqual({ openai: 'sk-test' });
  });

  it('a config file given as text (--set-file config=FILE) is the ConfigMap as it is', () => {
    const text = readFileSync(join(packageRoot(), 'deploy', 'examples', '004-default-backend.yaml'), 'utf8');
    const cm = one(render({ config: text }), 'ConfigMap');
    expect(cm.data['config.yaml']).toBe(`${text.trim()}\n`);
    const eg = render({ mode: 'envoyGateway', config: text });
    expect(eg.filter((m) => m.kind === 'Backend').map((m) => m.metadata.name)).toEqual(Object.keys(example('004-default-backend.yaml').backends).map((b) => `gw-llm-extproc-${b}`));
  });

  it('with liveConfig off, the config checksum rolls the pods when the config changes', () => {
    // With live config (the default) only bootstrap settings roll them: test/helm/standalone-live.test.ts.
    const off = { secrets: { values: { openai: 'sk-test' } }, liveConfig: { enabled: false } };
    const other = render({ ...off, config: example('004-default-backend.yaml') });
    const sum = (m: Manifest[]) => one(m, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(sum(other)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(other)).not.toEqual(sum(render(off)));
  });

  it("the init container's own command writes the generator's bootstrap for the rendered config", () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-init-'));
    const bootstrap = runInitContainer(render({ config: example('providers.yaml') }), dir);
    expect(bootstrap).toContain('port_value: 8080');
    const cli = spawnSync(process.execPath, ['bin/llm-extproc.js', 'envoy-config', '--config', join(dir, 'config.yaml'), '--host', '0.0.0.0', '--processor-address', '127.0.0.1:50051', '--dynamic-dir', join(dir, 'dynamic')], {
      cwd: packageRoot(),
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    expect(bootstrap).toBe(cli.stdout);
    // Live config: the first clusters and routes are there before Envoy starts.
    expect(readFileSync(join(dir, 'dynamic', 'cds.yaml'), 'utf8')).toContain('name: backend_openai');
    expect(readFileSync(join(dir, 'dynamic', 'rds.yaml'), 'utf8')).toContain('name: llm_routes');
  });

  it.skipIf(skipRealEnvoy)("Envoy accepts that bootstrap with the envoy container's own flags (envoy --mode validate)", async () => {
    const rendered = render({ config: example('providers.yaml') });
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-init-'));
    const bootstrap = runInitContainer(rendered, dir);
    const envoy = theEnvoy();
    if (envoy.kind !== 'binary') {
      const result = await validateBootstrap(bootstrap, envoy);
      expect(result.ok, result.output).toBe(true);
      return;
    }
    const container = podSpec(rendered).containers.find((c: any) => c.name === 'envoy');
    const args = (container.args as string[]).map((a) => a.replace('/etc/envoy/', `${dir}/`));
    const r = spawnSync(envoy.path, [...args, '--mode', 'validate'], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe.skipIf(skipHelm)('helm chart: envoyGateway mode', () => {
  const ms = render({ mode: 'envoyGateway', config: example('providers.yaml') });
  const backends = Object.keys(example('providers.yaml').backends);

  it('renders the processor alone, attached by policies, with a route rule and a Backend per config backend', () => {
    const pod = podSpec(ms);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['processor']);
    expect(pod.initContainers).toBeUndefined();
    const port = one(ms, 'Service').spec.ports.find((p: any) => p.name === 'grpc');
    expect(port).toMatchObject({ port: 50051, appProtocol: 'kubernetes.io/h2c' });
    const policy = one(ms, 'EnvoyExtensionPolicy');
    expect(policy.spec.extProc[0]).toMatchObject({ failOpen: false, processingMode: { allowModeOverride: true, request: { body: 'Buffered' }, response: { body: 'Streamed' } } });
    expect(one(ms, 'ClientTrafficPolicy').spec.connection.bufferLimit).toBe('8256Ki');
    const rules = one(ms, 'HTTPRoute').spec.rules;
    expect(rules.map((r: any) => r.matches[0].headers?.[0].value ?? null)).toEqual([...backends.sort(), null]);
    expect(ms.filter((m) => m.kind === 'Backend')).toHaveLength(backends.length);
    expect(ms.filter((m) => m.kind === 'ReferenceGrant')).toHaveLength(0);
  });

  it('each backend reaches its provider host over verified TLS', () => {
    const host = (name: string) => one(ms, 'Backend', `gw-llm-extproc-${name}`).spec.endpoints[0].fqdn;
    expect(host('openai')).toEqual({ hostname: 'api.openai.com', port: 443 });
    expect(host('bedrock')).toEqual({ hostname: 'bedrock-runtime.us-east-1.amazonaws.com', port: 443 });
    expect(host('vertex')).toEqual({ hostname: 'us-central1-aiplatform.googleapis.com', port: 443 });
    expect(host('azure')).toEqual({ hostname: 'my-resource.openai.azure.com', port: 443 });
    const tls = one(ms, 'BackendTLSPolicy', 'gw-llm-extproc-anthropic').spec;
    expect(tls.validation).toEqual({ wellKnownCACertificates: 'System', hostname: 'api.anthropic.com' });
  });

  it('a Gateway in another namespace gets the policies there and a ReferenceGrant here', () => {
    const other = render({ mode: 'envoyGateway', envoyGateway: { gateway: { name: 'shared', namespace: 'edge' } } });
    expect(one(other, 'EnvoyExtensionPolicy').metadata.namespace).toBe('edge');
    expect(one(other, 'EnvoyExtensionPolicy').spec.extProc[0].backendRefs[0]).toEqual({ name: 'gw-llm-extproc', namespace: 'llm', port: 50051 });
    expect(one(other, 'ClientTrafficPolicy').metadata.namespace).toBe('edge');
    expect(one(other, 'ReferenceGrant').spec.from).toEqual([{ group: 'gateway.envoyproxy.io', kind: 'EnvoyExtensionPolicy', namespace: 'edge' }]);
    expect(one(other, 'HTTPRoute').spec.parentRefs[0]).toMatchObject({ name: 'shared', namespace: 'edge' });
  });

  it('plain-http backends get no BackendTLSPolicy; hostOverride sets the rewritten host; rules match x-llm-backend', () => {
    const other = render(CASES['envoyGateway, custom selector header and an http backend']!);
    expect(one(other, 'Backend', 'gw-llm-extproc-local-vllm').spec.endpoints[0].fqdn).toEqual({ hostname: 'vllm.models.svc', port: 8000 });
    expect(other.filter((m) => m.kind === 'BackendTLSPolicy').map((m) => m.metadata.name)).toEqual(['gw-llm-extproc-azure-custom']);
    const rules = one(other, 'HTTPRoute').spec.rules;
    // Envoy routes on the header the processor writes, not on the one clients select with.
    expect(rules[0].matches[0].headers[0]).toEqual({ type: 'Exact', name: 'x-llm-backend', value: 'azure-custom' });
    expect(rules[0].filters[0].urlRewrite.hostname).toBe('apic.example.com');
  });

  it('the NetworkPolicy admits only the Gateway namespace to the ext_proc port', () => {
    const np = one(ms, 'NetworkPolicy').spec;
    expect(np.ingress[0]).toEqual({ ports: [{ port: 50051, protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } } }] });
  });
});

describe.skipIf(skipHelm)('helm chart: refused values', () => {
  it('an unknown mode, a misspelt key (values.schema.json)', () => {
    expect(() => render({ mode: 'sidecar' })).toThrow(/at '\/mode': value must be one of 'standalone', 'envoyGateway'/);
    expect(() => render({ replica: 3 })).toThrow(/additional properties 'replica' not allowed/);
    expect(() => render({ ports: { grpc: 'fifty' } })).toThrow(/\/ports\/grpc/);
  });
  it('envoyGateway: pools without envoyPatchPolicy, three priorities, past 16 HTTPRoute rules, a fractional duration', () => {
    const backends = { a: { provider: 'openai' }, b: { provider: 'anthropic' }, c: { provider: 'gemini' } };
    const pools = { p: { backends: [{ backend: 'a' }, { backend: 'b', priority: 1 }] } };
    expect(() => render({ mode: 'envoyGateway', config: { backends, pools } })).toThrow(/config.pools: in envoyGateway mode a pool needs the processor's upstream ext_proc filter .* set envoyGateway.envoyPatchPolicy=true/);
    const three = { p: { backends: [{ backend: 'a' }, { backend: 'b', priority: 1 }, { backend: 'c', priority: 2 }] } };
    expect(() => render({ mode: 'envoyGateway', envoyGateway: { envoyPatchPolicy: true }, config: { backends, pools: three } })).toThrow(/config.pools.p: 3 priorities, but Envoy Gateway has two/);
    const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`b${i}`, { provider: 'openai' }]));
    expect(() => render({ mode: 'envoyGateway', config: { backends: many } })).toThrow(/16 backends and 0 pools need 17 HTTPRoute rules/);
    // The config takes 1.5s; a Gateway API duration does not (the API server would refuse it).
    expect(() => render({ mode: 'envoyGateway', config: { backends: { a: { provider: 'openai', timeouts: { firstByte: '1.5s' } } } } })).toThrow(/config \(rule a\): firstByte 1.5s is not a duration Gateway API can express/);
    // Standalone mode runs pools in its own bootstrap: none of this applies there.
    expect(() => render({ config: { backends, pools: three } })).not.toThrow();
  });
  it('an Azure backend without an endpoint in envoyGateway mode', () => {
    expect(() => render({ mode: 'envoyGateway', config: { backends: { az: { provider: 'azureopenai' } } } })).toThrow(/config.backends.az: provider azureopenai has no public endpoint/);
  });
});

/** Runs the rendered init container's shell command here, with its mounts mapped to `dir`; returns the bootstrap. */
function runInitContainer(ms: Manifest[], dir: string): string {
  writeFileSync(join(dir, 'config.yaml'), one(ms, 'ConfigMap').data['config.yaml']);
  const init = podSpec(ms).initContainers[0];
  expect(init.command).toEqual(['sh', '-c']);
  const script = (init.args[0] as string).replaceAll('/etc/llm-extproc/', `${dir}/`).replaceAll('/etc/envoy/', `${dir}/`).replaceAll('/srv/envoy-dynamic', join(dir, 'dynamic'));
  const env = Object.fromEntries((init.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
  const r = spawnSync('sh', ['-c', script], { cwd: packageRoot(), encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(dir, 'envoy.yaml'), 'utf8');
}
