// A pool as Envoy runs it: one cluster, one endpoint per member at its priority and weight,
// each naming its member and choosing its own TLS, with the processor's upstream filter that
// translates each attempt for the member Envoy picked.
import type { CompiledPool } from '../config/compile.js';
import { upstreamCircuitBreakers } from './capacity.js';
import { providerProtocol, socketAddress, TYPE, upstreamTls } from './clusters.js';
import { MEMBER_ATTRIBUTE, METADATA_NAMESPACE, POOL_METADATA_KEY, UPSTREAM_FILTER_METADATA } from './metadata-keys.js';
import { connectTimeout, outlierDetection } from './traffic.js';

type Obj = Record<string, unknown>;

/**
 * The upstream filter of a pool's cluster: Envoy runs it once per attempt, after picking the
 * member, so each attempt is translated and signed for the provider that receives it. It
 * reads the buffered request and marks the response with the member; the router-level filter
 * translates the answer.
 */
function upstreamExtProcFilter(pool: string, processorCluster: string, messageTimeout: string): Obj {
  return {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': TYPE.extProc,
      grpc_service: { envoy_grpc: { cluster_name: processorCluster }, timeout: messageTimeout, initial_metadata: [{ ...UPSTREAM_FILTER_METADATA }, { key: POOL_METADATA_KEY, value: pool }] },
      failure_mode_allow: false,
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: 'BUFFERED',
        response_body_mode: 'NONE',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      message_timeout: messageTimeout,
      mutation_rules: { allow_all_routing: true },
      request_attributes: [MEMBER_ATTRIBUTE],
      metadata_options: { forwarding_namespaces: { untyped: [METADATA_NAMESPACE] } },
    },
  };
}

/** Priorities as Envoy wants them: 0, 1, 2… with no gaps, in the configured order. */
function densePriorities(pool: CompiledPool): Map<number, number> {
  return new Map([...new Set(pool.members.map((m) => m.priority))].sort((a, b) => a - b).map((p, i) => [p, i]));
}

/**
 * One cluster per pool, one endpoint per member (its own locality, at its priority, with its
 * weight), each endpoint naming its member for the upstream filter and choosing its own TLS
 * (SNI and name check of that member's host).
 */
export function poolCluster(pool: CompiledPool, clusterName: string, caFile: string, processor: { cluster: string; messageTimeout: string }): Obj {
  const prio = densePriorities(pool);
  const tlsMatches: Obj[] = [];
  const localities = pool.members.map((m) => {
    const b = m.backend;
    const matchKey = { backend: b.name };
    if (b.scheme === 'https') tlsMatches.push({ name: `tls-${b.name}`, match: { ...matchKey }, transport_socket: upstreamTls(b.host, caFile) });
    return {
      locality: { sub_zone: b.name },
      priority: prio.get(m.priority),
      lb_endpoints: [
        {
          endpoint: { address: socketAddress(b.host, b.port), hostname: b.host },
          load_balancing_weight: m.weight,
          metadata: { filter_metadata: { [METADATA_NAMESPACE]: { backend: b.name }, 'envoy.transport_socket_match': matchKey } },
        },
      ],
    };
  });
  const od = outlierDetection(pool.config);
  return {
    name: clusterName,
    // Members are any mix of names and IPs; STRICT_DNS resolves each (an IP resolves to itself).
    type: 'STRICT_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: connectTimeout(pool.config),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: clusterName, endpoints: localities },
    ...(tlsMatches.length ? { transport_socket_matches: tlsMatches } : {}),
    ...(od ? { outlier_detection: od } : {}),
    circuit_breakers: upstreamCircuitBreakers(),
    typed_extension_protocol_options: providerProtocol(pool.config, [upstreamExtProcFilter(pool.name, processor.cluster, processor.messageTimeout), { name: 'envoy.filters.http.upstream_codec', typed_config: { '@type': TYPE.upstreamCodec } }]),
  };
}

