// The rate limit side of the generated config: the service's descriptor file and Envoy's
// filter entries agree rule by rule; `*` counts each value apart; token rules check with 0
// before the request and charge the tokens on stream done.
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap } from '../../src/envoy/bootstrap.js';
import { envoyRateLimits, rateLimitsPerFilter, ratelimitServiceConfig } from '../../src/envoy/ratelimit.js';

type Obj = Record<string, any>;

const cfg = parseConfigObject({
  backends: { openai: { provider: 'openai', endpoint: 'http://127.0.0.1:9' } },
  rateLimits: {
    service: { address: 'ratelimit.internal:8081', failureMode: 'closed' },
    rules: [
      { clients: ['team-a', 'team-b'], tokens: { count: 'output', limit: 1000, per: 'hour' } },
      { clients: ['*'], requests: { limit: 60, per: 'minute' } },
      { backends: ['openai'], models: ['gpt-4o'], requests: { limit: 5, per: 'day' } },
    ],
  },
});
const limits = cfg.file.rateLimits!;

describe('rate limit config', () => {
  it('the service file: one descriptor per rule, narrowed by client, backend and model', () => {
    const c = ratelimitServiceConfig(limits) as Obj;
    expect(c.domain).toBe('llm_extproc');
    expect(c.descriptors[0]).toEqual({
      key: 'rule',
      value: 'r0',
      descriptors: [
        { key: 'client', value: 'team-a', rate_limit: { unit: 'hour', requests_per_unit: 1000 } },
        { key: 'client', value: 'team-b', rate_limit: { unit: 'hour', requests_per_unit: 1000 } },
      ],
    });
    // `*`: a key without a value, so every client has its own counter.
    expect(c.descriptors[1].descriptors).toEqual([{ key: 'client', rate_limit: { unit: 'minute', requests_per_unit: 60 } }]);
    expect(c.descriptors[2].descriptors[0]).toEqual({ key: 'backend', value: 'openai', descriptors: [{ key: 'model', value: 'gpt-4o', rate_limit: { unit: 'day', requests_per_unit: 5 } }] });
  });

  it('Envoy’s entries: a token rule checks with 0 and charges the chosen count on stream done', () => {
    const e = envoyRateLimits(limits) as Obj[];
    expect(e).toHaveLength(4);
    expect(e[0]!).toMatchObject({ hits_addend: { number: 0 } });
    expect(e[1]!).toMatchObject({ hits_addend: { format: '%DYNAMIC_METADATA(llm_extproc:output_tokens)%' }, apply_on_stream_done: true });
    expect(e[0]!.actions).toEqual([
      { generic_key: { descriptor_key: 'rule', descriptor_value: 'r0' } },
      { metadata: { descriptor_key: 'client', metadata_key: { key: 'llm_extproc', path: [{ key: 'client' }] }, source: 'DYNAMIC' } },
    ]);
    expect(e[3]!.actions.map((a: Obj) => a.metadata?.descriptor_key ?? a.generic_key.descriptor_value)).toEqual(['r2', 'backend', 'model']);
  });

  it('the route table carries the rules per filter: budgets to the budgets filter, the rest to the other', () => {
    const withBudget = parseConfigObject({
      backends: { openai: { provider: 'openai', endpoint: 'http://127.0.0.1:9' } },
      pricing: { 'gpt-4o*': { input: 2.5, output: 10 } },
      rateLimits: { rules: [{ requests: { limit: 1, per: 'second' } }, { clients: ['*'], budget: { costUsd: 5, per: 'day' } }] },
    });
    const per = rateLimitsPerFilter(withBudget.file.rateLimits!) as Obj;
    expect(Object.keys(per)).toEqual(['envoy.filters.http.ratelimit', 'llm_extproc.budgets']);
    expect(per['envoy.filters.http.ratelimit'].rate_limits).toHaveLength(1);
    expect(per['llm_extproc.budgets'].rate_limits[1]).toMatchObject({ hits_addend: { format: '%DYNAMIC_METADATA(llm_extproc:cost_microusd)%' }, apply_on_stream_done: true });
    // No rules: nothing on the routes.
    expect(rateLimitsPerFilter(parseConfigObject({ backends: {}, rateLimits: {} }).file.rateLimits!)).toBeUndefined();
  });

  it('the bootstrap: the filters after the processor’s, fail closed when asked, rules on the routes, and the service cluster over HTTP/2', () => {
    const b = buildBootstrap(cfg, {}) as Obj;
    const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    expect(hcm.http_filters.map((f: Obj) => f.name)).toEqual(['envoy.filters.http.ext_proc', 'envoy.filters.http.ratelimit', 'llm_extproc.budgets', 'envoy.filters.http.router']);
    const rl = hcm.http_filters[1].typed_config;
    expect(rl).toMatchObject({ domain: 'llm_extproc', failure_mode_deny: true, enable_x_ratelimit_headers: 'DRAFT_VERSION_03', timeout: '0.1s' });
    expect(hcm.http_filters[2].typed_config).toMatchObject({ rate_limited_status: { code: 402 } });
    // The rules live on the route table (live with --dynamic-dir), not in the filters.
    expect(rl.rate_limits).toBeUndefined();
    const vh = hcm.route_config.virtual_hosts[0];
    expect(vh.typed_per_filter_config['envoy.filters.http.ratelimit'].rate_limits).toEqual(envoyRateLimits(limits));
    expect(vh.typed_per_filter_config['envoy.filters.http.ratelimit'].rate_limits).toHaveLength(4);
    const cluster = (b.static_resources.clusters as Obj[]).find((c) => c.name === 'llm_ratelimit')!;
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'ratelimit.internal', port_value: 8081 });
    // Up to two calls per filter and request at once; HTTP/2 flood guards sized like the processor's.
    expect(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({
      http2_protocol_options: { max_concurrent_streams: 1024, max_outbound_control_frames: 10_240, max_outbound_frames: 102_400 },
    });
    expect(cluster.circuit_breakers.thresholds).toEqual([{ priority: 'DEFAULT', max_requests: 200_000, max_pending_requests: 200_000 }]);
    // No rateLimits section: no filter, no cluster.
    const none = buildBootstrap(parseConfigObject({ backends: {} }), {}) as Obj;
    expect(none.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.map((f: Obj) => f.name)).not.toContain('envoy.filters.http.ratelimit');
    expect(none.static_resources.clusters.map((c: Obj) => c.name)).not.toContain('llm_ratelimit');
    // A section without rules yet: the filters and the cluster, so rules can arrive with the routes.
    const empty = buildBootstrap(parseConfigObject({ backends: {}, rateLimits: {} }), {}) as Obj;
    const emptyHcm = empty.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    expect(emptyHcm.http_filters.map((f: Obj) => f.name)).toContain('envoy.filters.http.ratelimit');
    expect(emptyHcm.route_config.virtual_hosts[0].typed_per_filter_config).toBeUndefined();
  });
});
