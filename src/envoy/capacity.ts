// How many requests one generated Envoy is built to carry at once, and every Envoy limit
// that scales with it: circuit breakers per cluster, the HTTP/2 flood guards on the gRPC
// connections (processor, ratelimit service), the client-side HTTP/2 stream limit, and the
// overload manager's cap on downstream connections. Envoy's own defaults (1,024 requests per
// cluster, 3 concurrent retries, 1,000 queued control frames per connection) turn a burst of
// a few thousand LLM streams, each held open for minutes, into 503s and reset streams.
// docs/CAPACITY.md explains each number and what it costs in memory and file descriptors.

type Obj = Record<string, unknown>;

/**
 * Concurrent requests per upstream cluster (each backend, each pool). The goal is 10,000
 * streams at once (the e2e concurrency test proves it) and this leaves five times that: at
 * about 70 KiB of Envoy memory per in-flight stream (measured at 10,000), 50,000 is ~3.5 GiB,
 * so the breaker answers a fast 503 before a gateway sized for its goal runs out of memory.
 * Providers speak HTTP/1.1, one connection per request in flight: the same number bounds
 * connections and requests waiting for one (a burst opens them all at once).
 */
export const MAX_CONCURRENT_REQUESTS = 50_000;

/**
 * Concurrent ext_proc streams to the processor: one per request in flight, two for a pool's
 * request (the router-level filter and the current attempt's upstream filter).
 */
export const PROCESSOR_MAX_STREAMS = 2 * MAX_CONCURRENT_REQUESTS;

/**
 * Concurrent calls to the ratelimit service: each rate limit filter (requests and tokens;
 * budgets in a second one) has at most one call before the request and one at its end.
 */
export const RATELIMIT_MAX_CALLS = 4 * MAX_CONCURRENT_REQUESTS;

/**
 * Streams Envoy puts on one HTTP/2 connection to a gRPC service: streams beyond it open
 * another connection, so one lost connection (a GOAWAY, a flood guard, a reset) fails at
 * most this many requests. Unset, Envoy 1.40 put about a thousand on each; set to 100,000,
 * each worker kept one connection, and at 10,000 streams its 1,000-frame control queue
 * overflowed (outbound_control_flood) and took every stream on it down.
 */
export const GRPC_STREAMS_PER_CONNECTION = 1024;

/**
 * Envoy's HTTP/2 flood guards on a connection to our own gRPC service, sized to the streams it
 * carries. The guards exist for untrusted peers that stop reading; the processor and the
 * ratelimit service are ours, and a busy one reads late: Envoy then queues one RST_STREAM per
 * finished stream it could not close gracefully (a control frame), and several frames per
 * stream for the messages in flight. The defaults (1,000 control frames, 10,000 frames) are
 * below one connection's worth of those.
 */
export function grpcServiceHttp2(): Obj {
  return {
    max_concurrent_streams: GRPC_STREAMS_PER_CONNECTION,
    // A reset, a PING ack and a SETTINGS ack per stream, at most, with room to spare.
    max_outbound_control_frames: 10 * GRPC_STREAMS_PER_CONNECTION,
    // Headers plus a handful of messages per stream (request headers and body, response
    // headers, body chunks), all waiting while the service catches up.
    max_outbound_frames: 100 * GRPC_STREAMS_PER_CONNECTION,
  };
}

/**
 * Streams one client connection may open. Envoy's default is 2^31: unbounded. A multiplexing
 * client (a mesh sidecar, an SDK on HTTP/2) gets a thousand concurrent LLM streams per
 * connection and opens another connection for more; Envoy's downstream flood guards keep
 * their defaults, sized for untrusted clients.
 */
export const CLIENT_STREAMS_PER_CONNECTION = 1000;

export function clientHttp2(): Obj {
  return { max_concurrent_streams: CLIENT_STREAMS_PER_CONNECTION };
}

/**
 * The breaker of a cluster that carries client requests (a backend or a pool). Retries are
 * bounded per request by the route (`retry.attempts`, a pool's members) and run one at a
 * time, so a budget of all active requests never refuses a configured retry; Envoy's default
 * of 3 concurrent retries per cluster would skip the retry (upstream_rq_retry_overflow) and
 * hand the client the provider's 503, or a pool's primary's error instead of its fallback.
 */
export function upstreamCircuitBreakers(): Obj {
  return {
    thresholds: [
      {
        priority: 'DEFAULT',
        max_connections: MAX_CONCURRENT_REQUESTS,
        max_pending_requests: MAX_CONCURRENT_REQUESTS,
        max_requests: MAX_CONCURRENT_REQUESTS,
        retry_budget: { budget_percent: { value: 100 }, min_retry_concurrency: 3 },
      },
    ],
  };
}

/** The breaker of a gRPC service cluster with `maxCalls` streams at once. */
export function grpcCircuitBreakers(maxCalls: number): Obj {
  return { thresholds: [{ priority: 'DEFAULT', max_requests: maxCalls, max_pending_requests: maxCalls }] };
}

/**
 * Envoy warns at start when nothing bounds downstream connections, and without a bound a
 * flood of connections ends in "too many open files" for everyone. An HTTP/1.1 client holds
 * one connection per request (SDKs do), so the cap is the request capacity; HTTP/2 clients
 * need fewer. At the cap Envoy holds a client and a provider connection per request: give it
 * 2 × MAX_CONCURRENT_REQUESTS + ~1,000 file descriptors. The admin listener is exempt (the
 * bootstrap sets ignore_global_conn_limit): stats must stay readable when the cap is hit.
 */
export function overloadManager(): Obj {
  return {
    resource_monitors: [
      {
        name: 'envoy.resource_monitors.global_downstream_max_connections',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
          max_active_downstream_connections: MAX_CONCURRENT_REQUESTS,
        },
      },
    ],
  };
}
