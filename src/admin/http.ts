// Admin HTTP: /metrics (Prometheus), /healthz (alive), /readyz (serving and not
// draining), /config (the effective config with secret values redacted). Under
// `serve --workers` it runs once, in the primary, and /metrics is every worker's, aggregated.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeConfig } from '../config/compile.js';
import { logger } from '../logger.js';
import { registry } from '../telemetry/metrics.js';

/** Ports and address actually bound, which /config shows instead of the file's (port 0 = picked). */
export interface Bound {
  host?: string;
  envoy?: number;
  envoyAdmin?: number;
  grpc?: number | string;
  admin?: number;
  /** Processor workers running (serve --workers; a reload does not change them). */
  workers?: number;
}

export interface AdminServer {
  server: Server;
  port: number;
  setReady(ready: boolean): void;
  /** Records what the processor and, under `up`, Envoy actually bound. */
  setBound(b: Bound): void;
  close(): Promise<void>;
}

/** Replaces secret values (never their source) anywhere in the config. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'inline' ? '[redacted]' : redact(v);
    return out;
  }
  return value;
}

export interface AdminOptions {
  /** Prometheus text for /metrics; default this process's registry. */
  metrics?: () => Promise<string>;
  /** Whether /readyz starts ready; default true (the caller started serving first). */
  ready?: boolean;
}

export async function startAdminServer(holder: { readonly current: RuntimeConfig }, port: number, host = '127.0.0.1', opts: AdminOptions = {}): Promise<AdminServer> {
  let ready = opts.ready ?? true;
  const metrics = opts.metrics ?? (() => registry.metrics());
  const actual: Bound = {};
  const effective = () => {
    const file = holder.current.file;
    const { host, workers, ...ports } = actual;
    return {
      ...file,
      listen: { ...file.listen, ...(host ? { host } : {}) },
      ports: { ...file.ports, ...ports },
      ...(workers ? { processor: { ...file.processor, workers } } : {}),
    };
  };
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    switch (url) {
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/readyz':
        return ready ? send(200, 'text/plain', 'ready\n') : send(503, 'text/plain', 'draining\n');
      case '/config':
        return send(200, 'application/json', `${JSON.stringify(redact(effective()), null, 2)}\n`);
      case '/metrics':
        metrics()
          .then((text) => send(200, registry.contentType, text))
          .catch((err) => send(500, 'text/plain', String(err)));
        return;
      default:
        return send(404, 'text/plain', 'not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ port: bound }, 'admin HTTP listening');
  return {
    server,
    port: bound,
    setReady: (r) => {
      ready = r;
    },
    setBound: (b) => {
      Object.assign(actual, b);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
