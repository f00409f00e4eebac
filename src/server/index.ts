// Starts the whole processor in this process (config watch, gRPC, admin HTTP) and stops it
// cleanly. Used by `serve` with one worker, by `up`, and in-process by the tests;
// `serve --workers N` is workers.ts (primary) and worker.ts.
import { closeSecretWatchers } from '../auth/secrets.js';
import { type AdminServer, startAdminServer } from '../admin/http.js';
import type { RuntimeConfig } from '../config/compile.js';
import type { LocalService } from '../ratelimit/local.js';
import { limitsView } from '../ratelimit/remaining.js';
import { ConfigHolder } from '../config/load.js';
import { logger } from '../logger.js';
import { shutdownTracing } from '../telemetry/tracing.js';
import { SHUTDOWN_ESTIMATES_MS, stopTokenizerThread } from '../usage/tokenizer-thread.js';
import { applyTelemetry, configureLimitsView, startDynamicWriter, warnAboutReload, writeLimitsFile } from './apply.js';
import type { DynamicWriter, DynamicWriterOptions } from '../envoy/dynamic.js';
import { type GrpcServer, startGrpcServer } from './grpc.js';

export interface ProcessorOptions {
  config: RuntimeConfig;
  /** Watched and reloaded when given. */
  configPath?: string;
  /** The config file's text `config` was made from: a change before the watch starts is caught up. */
  configText?: string;
  grpcListen?: number | string;
  adminPort?: number;
  host?: string;
  watchIntervalMs?: number;
  /** The ratelimit service `up` started: every config, reloads included, points there. */
  localRateLimits?: LocalService;
  /** Envoy's clusters and routes are files in this directory: written at start and on every valid reload. */
  envoyDynamic?: DynamicWriterOptions;
}

export interface RunningProcessor {
  holder: ConfigHolder;
  grpc: GrpcServer;
  admin: AdminServer;
  grpcPort: number;
  adminPort: number;
  /** The writer of Envoy's clusters and routes, with `envoyDynamic`. */
  dynamic?: DynamicWriter;
  stop(graceMs?: number): Promise<void>;
}

export async function startProcessor(opts: ProcessorOptions): Promise<RunningProcessor> {
  await applyTelemetry(opts.config);
  configureLimitsView(opts.config, opts.localRateLimits);
  writeLimitsFile(opts.config, opts.localRateLimits);
  const dynamic = startDynamicWriter(opts.config, opts.envoyDynamic);
  // `serve --workers` forks; this in-process start (up, tests, serve with one worker) is one process.
  if (opts.config.file.processor.workers > 1) logger.warn({ workers: opts.config.file.processor.workers }, 'processor.workers applies to `llm-extproc serve`; this processor runs in one process');
  const holder = new ConfigHolder(opts.config, opts.configPath, opts.configText);
  const host = opts.host ?? opts.config.listenHost;
  const grpc = await startGrpcServer(holder, opts.grpcListen ?? opts.config.ports.grpc, host);
  const admin = await startAdminServer(holder, opts.adminPort ?? opts.config.ports.admin, host);
  admin.setBound({ host, grpc: grpc.port > 0 ? grpc.port : grpc.address, admin: admin.port, workers: 1 });
  holder.watch(opts.watchIntervalMs);
  holder.onReload((cfg) => {
    applyTelemetry(cfg).catch((err: unknown) => logger.warn({ err }, 'applying the reloaded telemetry settings failed'));
    configureLimitsView(cfg, opts.localRateLimits);
    writeLimitsFile(cfg, opts.localRateLimits);
    void dynamic?.apply(cfg);
    warnAboutReload(opts.config, cfg, dynamic !== undefined);
  });
  let stopping: Promise<void> | undefined;
  return {
    holder,
    grpc,
    admin,
    grpcPort: grpc.port,
    adminPort: admin.port,
    dynamic,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        admin.setReady(false);
        holder.close();
        await grpc.shutdown(graceMs);
        await admin.close();
        // Hang-ups' estimates still being counted are recorded before the process goes.
        await stopTokenizerThread(SHUTDOWN_ESTIMATES_MS);
        await shutdownTracing().catch((err: unknown) => logger.warn({ err }, 'flushing traces at shutdown failed'));
        closeSecretWatchers();
        limitsView.close();
      })();
      return stopping;
    },
  };
}
