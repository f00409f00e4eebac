// Envoy cluster pieces every generated cluster is made of: addresses, endpoints, TLS that
// checks the host's name, the provider protocol options (HTTP/1.1, with a cluster's upstream
// filters and outlier error matcher), gRPC clusters. Shared by the bootstrap and the pools.
import { isIP } from 'node:net';
import { grpcCircuitBreakers, grpcServiceHttp2 } from './capacity.js';
import { outlierErrors, type TrafficConfig } from './traffic.js';

type Obj = Record<string, unknown>;

export const DEFAULT_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

export const TYPE = {
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  extProc: 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  fileLog: 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
  stdoutLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  stderrLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
  httpOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  upstreamCodec: 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
  upstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
} as const;

export function socketAddress(address: string, port: number): Obj {
  return { socket_address: { address, port_value: port } };
}

export function endpoints(clusterName: string, address: Obj): Obj {
  return { cluster_name: clusterName, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] };
}

export function upstreamTls(host: string, caFile: string): Obj {
  const ipFamily = isIP(host);
  // SNI may not carry an IP literal (RFC 6066); such certificates name the IP in an IP SAN.
  const san = { san_type: ipFamily ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': TYPE.upstreamTls,
      ...(ipFamily ? {} : { sni: host }),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: caFile },
          match_typed_subject_alt_names: [san],
        },
      },
    },
  };
}

/** A cluster of one host:port, resolved by DNS unless it is an IP, over TLS that checks the host's name when `tls`. */
export function hostCluster(name: string, host: string, port: number, tls: boolean, caFile: string, connectTimeout: string): Obj {
  const literal = isIP(host) !== 0;
  return {
    name,
    type: literal ? 'STATIC' : 'LOGICAL_DNS',
    ...(literal ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    connect_timeout: connectTimeout,
    load_assignment: endpoints(name, socketAddress(host, port)),
    ...(tls ? { transport_socket: upstreamTls(host, caFile) } : {}),
  };
}

/** Providers speak HTTP/1.1 everywhere; h2 would buy little and complicates local servers. */
export function providerProtocol(traffic: TrafficConfig, httpFilters?: Obj[]): Obj {
  const errors = outlierErrors(traffic);
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': TYPE.httpOptions,
      explicit_http_config: { http_protocol_options: {} },
      ...(errors ? { outlier_detection: errors } : {}),
      ...(httpFilters ? { http_filters: httpFilters } : {}),
    },
  };
}

/** A cluster speaking gRPC (HTTP/2) to one host:port, carrying up to `maxCalls` calls at once. */
export function grpcCluster(name: string, host: string, port: number, maxCalls: number): Obj {
  return {
    ...hostCluster(name, host, port, false, DEFAULT_CA_FILE, '2s'),
    circuit_breakers: grpcCircuitBreakers(maxCalls),
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': TYPE.httpOptions, explicit_http_config: { http2_protocol_options: grpcServiceHttp2() } },
    },
  };
}

