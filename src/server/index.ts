// Starts the whole processor (config watch, gRPC, admin HTTP) and stops it cleanly.
// Used by `serve`, by `up`, and in-process by the tests.
import { closeSecretWatchers } from '../auth/secrets.js';
import { type AdminServer, startAdminServer } from '../admin/http.js';
import type { RuntimeConfig } from '../config/compile.js';
import { envoyRateLimits, writeRatelimitConfig } from '../envoy/ratelimit.js';
import { type LocalService, withLocalService } from '../ratelimit/local.js';
import { limitsView } from '../ratelimit/remaining.js';
import { ConfigHolder } from '../config/load.js';
import { logger } from '../logger.js';
import { labelCaps } from '../telemetry/metrics.js';
import { configureTracing, shutdownTracing } from '../telemetry/tracing.js';
import { type GrpcServer, startGrpcServer } from './grpc.js';

export interface ProcessorOptions {
  config: RuntimeConfig;
  /** Watched and reloaded when given. */
  configPath?: string;
  grpcListen?: number | string;
  adminPort?: number;
  host?: string;
  watchIntervalMs?: number;
  /** The ratelimit service `up` started: every config, reloads included, points there. */
  localRateLimits?: LocalService;
}

export interface RunningProcessor {
  holder: ConfigHolder;
  grpc: GrpcServer;
  admin: AdminServer;
  grpcPort: number;
  adminPort: number;
  stop(graceMs?: number): Promise<void>;
}

/** Tracing and metric label caps follow the config, at start and on every reload. */
async function applyTelemetry(cfg: RuntimeConfig): Promise<void> {
  const t = cfg.telemetry;
  labelCaps.setLimit(t.maxLabelValues);
  await configureTracing({ endpoint: t.otlp?.endpoint, serviceName: t.serviceName, sampleRatio: t.otlp?.sampleRatio ?? 1, captureContent: t.captureContent });
}

/**
 * The ratelimit service's descriptors follow the config too: the processor writes them where
 * the service reads, and reports what is left of each limit from there.
 */
function applyRateLimits(cfg: RuntimeConfig, local: ProcessorOptions['localRateLimits']): void {
  const limits = cfg.file.rateLimits && withLocalService(cfg.file.rateLimits, local);
  limitsView.configure(limits);
  try {
    const file = writeRatelimitConfig(limits);
    if (file) logger.info({ file }, 'wrote the rate limit service config');
  } catch (err) {
    logger.error({ err }, 'writing the rate limit service config failed; the service keeps its last one');
  }
}

/**
 * A limit's numbers and windows apply on reload (they live in the service's file); which rules
 * exist and what they narrow by is in Envoy's filter, which only a new Envoy config changes.
 */
function warnIfEnvoyLimitsChanged(before: RuntimeConfig, after: RuntimeConfig): void {
  const shape = (c: RuntimeConfig) => (c.file.rateLimits ? JSON.stringify([envoyRateLimits(c.file.rateLimits), envoyRateLimits(c.file.rateLimits, true)]) : '');
  if (shape(before) !== shape(after)) logger.warn('rate limit rules were added, removed, reordered or narrowed differently: Envoy applies that only with a regenerated config (llm-extproc envoy-config) and a restart; changed numbers and windows apply now');
}

export async function startProcessor(opts: ProcessorOptions): Promise<RunningProcessor> {
  await applyTelemetry(opts.config);
  applyRateLimits(opts.config, opts.localRateLimits);
  const holder = new ConfigHolder(opts.config, opts.configPath);
  const host = opts.host ?? opts.config.listenHost;
  const grpc = await startGrpcServer(holder, opts.grpcListen ?? opts.config.ports.grpc, host);
  const admin = await startAdminServer(holder, opts.adminPort ?? opts.config.ports.admin, host);
  admin.setBound({ host, grpc: grpc.port > 0 ? grpc.port : grpc.address, admin: admin.port });
  holder.watch(opts.watchIntervalMs);
  holder.onReload((cfg) => {
    applyTelemetry(cfg).catch((err: unknown) => logger.warn({ err }, 'applying the reloaded telemetry settings failed'));
    applyRateLimits(cfg, opts.localRateLimits);
    warnIfEnvoyLimitsChanged(opts.config, cfg);
    const old = [...opts.config.backends.keys()];
    const added = [...cfg.backends.keys()].filter((b) => !old.includes(b));
    if (added.length) logger.warn({ added }, 'new backends need routes in Envoy; regenerate the bootstrap (llm-extproc envoy-config) if Envoy is not configured for them');
  });
  let stopping: Promise<void> | undefined;
  return {
    holder,
    grpc,
    admin,
    grpcPort: grpc.port,
    adminPort: admin.port,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        admin.setReady(false);
        holder.close();
        await grpc.shutdown(graceMs);
        await admin.close();
        await shutdownTracing().catch((err: unknown) => logger.warn({ err }, 'flushing traces at shutdown failed'));
        closeSecretWatchers();
        limitsView.close();
      })();
      return stopping;
    },
  };
}
