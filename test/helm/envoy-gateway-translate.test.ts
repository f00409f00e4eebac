// The chart's envoyGateway objects through Envoy Gateway's translator only (egctl v1.9.1), for
// what has no fake provider to reach here: pools whose members are TLS (Envoy Gateway's
// protocol options and transport socket matches, which the EnvoyPatchPolicy must add to and
// never replace), and the hand-written attach file deploy/envoy-gateway/extension-policy.yaml
// (the same filter as the chart's). envoy-gateway-e2e.test.ts runs the rest in a real Envoy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../src/envoy/find.js';
import { findFilter, xdsResources } from './eg-bootstrap.js';
import { egTranslate, falseConditions, gatewayFor, skipEgctl } from './egctl.js';
import { type Manifest, render } from './tools.js';

type Obj = Record<string, any>;
const GW_NS = 'edge';
const RELEASE_NS = 'llm';

describe.skipIf(skipEgctl)('envoyGateway pools with TLS members, through the translator only (no provider to reach here)', () => {
  // All-TLS, mixed and plain pools: Envoy Gateway sets the cluster's HttpProtocolOptions only
  // when every member is TLS (autoConfig, for ALPN), and puts a transport socket match in each
  // TLS endpoint's metadata. The patches must add to both, never replace them: a lost match
  // would send a provider's key over plain HTTP.
  const tlsConfig = {
    backends: {
      openai: { provider: 'openai' },
      anthropic: { provider: 'anthropic' },
      local: { provider: 'openai', endpoint: 'http://vllm.models.svc:8000' },
    },
    pools: {
      secure: { backends: [{ backend: 'anthropic' }, { backend: 'openai', priority: 1 }] },
      mixed: { backends: [{ backend: 'openai', weight: 3 }, { backend: 'local', weight: 1 }] },
    },
  };
  const values = { mode: 'envoyGateway', config: tlsConfig, envoyGateway: { gateway: { name: 'llm-gateway', namespace: GW_NS }, envoyPatchPolicy: true } };

  it('the upstream filter joins Envoy Gateway\'s own protocol options; each TLS endpoint keeps its transport socket match', () => {
    const ms = render(values, { namespace: RELEASE_NS });
    const input = [...gatewayFor('llm-gateway', GW_NS), ...ms];
    const t = egTranslate(input);
    expect(falseConditions(t)).toEqual([]);
    const before = new Map(xdsResources(egTranslate(input.filter((m) => m.kind !== 'EnvoyPatchPolicy')).xds).clusters.map((c) => [c.name, c]));
    const pools = xdsResources(t.xds).clusters.filter((c) => c.metadata?.filterMetadata?.['envoy-gateway']?.resources?.[0]?.sectionName in tlsConfig.pools);
    expect(pools).toHaveLength(2);
    for (const c of pools) {
      const pool = c.metadata.filterMetadata['envoy-gateway'].resources[0].sectionName as keyof typeof tlsConfig.pools;
      const b = before.get(c.name)!;
      const opts = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      expect(opts.httpFilters.map((f: Obj) => f.name)).toEqual(['envoy.filters.http.ext_proc', 'envoy.filters.http.upstream_codec']);
      const { httpFilters: _f, ...rest } = opts;
      if (pool === 'secure') expect(rest).toEqual(b.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']);
      else expect(b.typedExtensionProtocolOptions).toBeUndefined();
      expect(c.transportSocketMatches).toEqual(b.transportSocketMatches);
      c.loadAssignment.endpoints.forEach((l: Obj, i: number) => {
        const md = l.lbEndpoints[0].metadata.filterMetadata;
        expect(md.llm_extproc).toEqual({ backend: tlsConfig.pools[pool].backends[i]!.backend });
        const { llm_extproc: _m, ...kept } = md;
        expect(kept).toEqual(b.loadAssignment.endpoints[i].lbEndpoints[0].metadata?.filterMetadata ?? {});
      });
      // The TLS members do have a match to keep (a test that compared nothing would pass too).
      expect(c.loadAssignment.endpoints.filter((l: Obj) => l.lbEndpoints[0].metadata.filterMetadata['envoy.transport_socket_match'])).toHaveLength(pool === 'secure' ? 2 : 1);
    }
  });
});

describe.skipIf(skipEgctl)('deploy/envoy-gateway/extension-policy.yaml, the attach file, through the translator', () => {
  it("Envoy Gateway accepts it and makes the same ext_proc filter and listener buffer as the chart's policies", () => {
    const file = parseAllDocuments(readFileSync(join(packageRoot(), 'deploy', 'envoy-gateway', 'extension-policy.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
    const service: Manifest = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llm-extproc', namespace: 'llm-gateway' },
      spec: { ports: [{ name: 'grpc', port: 50051, targetPort: 50051, appProtocol: 'kubernetes.io/h2c' }] },
    };
    // A route to turn the filter on (Envoy Gateway enables it per route); any will do.
    const route: Manifest = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'any', namespace: 'llm-gateway' },
      spec: { parentRefs: [{ name: 'llm-gateway' }], rules: [{ backendRefs: [{ name: 'llm-extproc', port: 50051 }] }] },
    };
    const t = egTranslate([...gatewayFor('llm-gateway', 'llm-gateway'), service, route, ...file]);
    expect(falseConditions(t)).toEqual([]);
    const fromFile = xdsResources(t.xds).listeners.find((l) => l.name === 'llm-gateway/llm-gateway/http')!;
    const chart = egTranslate([...gatewayFor('llm-gateway', 'llm-gateway'), ...render({ mode: 'envoyGateway', envoyGateway: { gateway: { name: 'llm-gateway' } } }, { namespace: 'llm-gateway' })]);
    const fromChart = xdsResources(chart.xds).listeners.find((l) => l.name === 'llm-gateway/llm-gateway/http')!;
    const filterOf = (l: Obj, policy: string) => {
      const f = findFilter(l, `envoy.filters.http.ext_proc/envoyextensionpolicy/llm-gateway/${policy}/extproc/0`)!;
      const { grpcService: _g, ...rest } = f.typedConfig;
      return rest;
    };
    expect(filterOf(fromFile, 'llm-extproc')).toEqual(filterOf(fromChart, 'gw-llm-extproc'));
    expect(fromFile.perConnectionBufferLimitBytes).toBe(8256 * 1024);
    expect(fromChart.perConnectionBufferLimitBytes).toBe(fromFile.perConnectionBufferLimitBytes);
  });
});
