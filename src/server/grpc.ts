// The processor's gRPC server: ExternalProcessor and grpc.health.v1.Health on one
// port (or a unix socket), and graceful shutdown.
import * as grpc from '@grpc/grpc-js';
import type { RuntimeConfig } from '../config/compile.js';
import { logger } from '../logger.js';
import { loadProtos } from './protos.js';
import { type ProcessCall, handleProcessStream } from './stream.js';

const SERVING = 'SERVING';
const NOT_SERVING = 'NOT_SERVING';

export interface GrpcServer {
  server: grpc.Server;
  /** Bound port (0 for a unix socket). */
  port: number;
  address: string;
  setServing(serving: boolean): void;
  /** Stops accepting streams, lets open ones finish up to graceMs, then forces. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Envoy without ext_proc_graceful_grpc_close resets every ext_proc stream. Node's HTTP/2
 * rapid-reset protection (a burst of 1000, then 33/s) would take those for an attack and
 * drop the connection, failing in-flight requests (a 500, fail-closed). The processor
 * only ever talks to Envoy, so the limit is lifted. grpc-js has no option for it: its
 * http2 server options are set here before bind.
 */
export const HTTP2_RESET_LIMITS = { streamResetBurst: 1_000_000, streamResetRate: 1_000_000 };

function allowEnvoyResets(server: grpc.Server): void {
  const internals = server as unknown as { commonServerOptions?: Record<string, unknown> };
  if (!internals.commonServerOptions) {
    logger.warn('this grpc-js version hides its http2 options: an Envoy that resets ext_proc streams (no ext_proc_graceful_grpc_close) may trip its rapid-reset protection');
    return;
  }
  Object.assign(internals.commonServerOptions, HTTP2_RESET_LIMITS);
}

/** Where each stream reads the live config: a ConfigHolder, or a worker's copy of its primary's. */
export interface ConfigSource {
  readonly current: RuntimeConfig;
}

export async function startGrpcServer(holder: ConfigSource, listen: number | string, host = '127.0.0.1'): Promise<GrpcServer> {
  const protos = loadProtos();
  // Room for the largest request body plus framing: grpc-js defaults to 4 MiB.
  const maxMessage = holder.current.maxRequestBytes + 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': Math.max(maxMessage, 64 * 1024 * 1024),
    'grpc.max_send_message_length': Math.max(maxMessage, 64 * 1024 * 1024),
    'grpc.keepalive_permit_without_calls': 1,
    // Thousands of streams open at once on Envoy's one connection: Node's 10 MB per-session
    // budget would refuse new streams (ENHANCE_YOUR_CALM) long before memory is short.
    'grpc-node.max_session_memory': 1024,
  });
  allowEnvoyResets(server);
  let status = SERVING;
  const watchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  server.addService(protos.externalProcessor, {
    Process: (call: ProcessCall) => handleProcessStream(call, holder.current, logger),
  });
  server.addService(protos.health, {
    Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { status }),
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      watchers.add(call);
      call.write({ status });
      call.on('cancelled', () => watchers.delete(call));
    },
  });

  const target = typeof listen === 'string' && listen.startsWith('unix:') ? listen : `${host.includes(':') ? `[${host}]` : host}:${listen}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  // grpc-js answers 1 for a unix socket: there is no port.
  const port = target.startsWith('unix:') ? 0 : bound;
  const address = target.startsWith('unix:') ? target : `${host}:${port}`;
  logger.info({ address }, 'ext_proc gRPC server listening');

  const setServing = (serving: boolean) => {
    status = serving ? SERVING : NOT_SERVING;
    for (const w of watchers) w.write({ status });
  };

  return {
    server,
    port,
    address,
    setServing,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        setServing(false);
        for (const w of watchers) w.end();
        const timer = setTimeout(() => {
          logger.warn({ graceMs }, 'open ext_proc streams did not finish in time; closing them');
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
