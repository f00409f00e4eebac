// What a config (at start or reloaded) sets up in a process: tracing and label caps, the
// remaining-limits view, the ratelimit service's descriptor file, and the warnings about what
// only a restart applies. The single process does all of it; under `serve --workers` the
// primary writes the file and warns, and each worker applies the rest to itself.
import type { RuntimeConfig } from '../config/compile.js';
import { DynamicWriter, type DynamicWriterOptions } from '../envoy/dynamic.js';
import { rateLimitsPerFilter, writeRatelimitConfig } from '../envoy/ratelimit.js';
import { type LocalService, withLocalService } from '../ratelimit/local.js';
import { limitsView } from '../ratelimit/remaining.js';
import { logger } from '../logger.js';
import { labelCaps } from '../telemetry/metrics.js';
import { configureTracing } from '../telemetry/tracing.js';

/** Tracing and metric label caps follow the config, at start and on every reload. */
export async function applyTelemetry(cfg: RuntimeConfig): Promise<void> {
  const t = cfg.telemetry;
  labelCaps.setLimit(t.maxLabelValues);
  await configureTracing({ endpoint: t.otlp?.endpoint, serviceName: t.serviceName, sampleRatio: t.otlp?.sampleRatio ?? 1, captureContent: t.captureContent });
}

function effectiveLimits(cfg: RuntimeConfig, local: LocalService | undefined) {
  return cfg.file.rateLimits && withLocalService(cfg.file.rateLimits, local);
}

/** What is left of each limit is read from the ratelimit service the config names. */
export function configureLimitsView(cfg: RuntimeConfig, local?: LocalService): void {
  limitsView.configure(effectiveLimits(cfg, local));
}

/**
 * The ratelimit service's descriptors follow the config too: the processor writes them where
 * the service reads. Under `serve --workers` only the primary writes (one writer per file).
 */
export function writeLimitsFile(cfg: RuntimeConfig, local?: LocalService): void {
  try {
    const file = writeRatelimitConfig(effectiveLimits(cfg, local));
    if (file) logger.info({ file }, 'wrote the rate limit service config');
  } catch (err) {
    logger.error({ err }, 'writing the rate limit service config failed; the service keeps its last one');
  }
}

/**
 * Envoy's clusters and routes as files it watches (envoy/dynamic.ts), written for the first
 * config before Envoy starts; a failure here is fatal, since Envoy could not start without them.
 * Files already there (Envoy kept running while the processor restarted) are updated in the
 * reload order instead. Under `serve --workers` only the primary writes.
 */
export function startDynamicWriter(cfg: RuntimeConfig, opts: DynamicWriterOptions | undefined): DynamicWriter | undefined {
  if (!opts) return undefined;
  const writer = new DynamicWriter(opts);
  void writer.writeInitial(cfg);
  logger.info({ dir: opts.dir }, 'wrote Envoy clusters and routes; reloads update them live');
  return writer;
}

/**
 * What a reload cannot apply by itself, said once per process that watches the file. A
 * limit's numbers and windows apply on reload (they live in the service's file); which rules
 * exist and what they narrow by is on Envoy's routes, live with `--dynamic-dir`. The filters
 * themselves, the service's address and failure modes come only with a new bootstrap.
 */
export function warnAboutReload(initial: RuntimeConfig, cfg: RuntimeConfig, liveEnvoy = false): void {
  const a = initial.file.rateLimits;
  const b = cfg.file.rateLimits;
  const rules = (l: typeof a) => (l ? JSON.stringify(rateLimitsPerFilter(l)) : '');
  const service = (l: typeof a) => (l ? JSON.stringify(l.service) : '');
  if (Boolean(a) !== Boolean(b) || service(a) !== service(b)) logger.warn('rateLimits was added or removed, or its service settings changed: Envoy applies that only with a regenerated config (llm-extproc envoy-config) and a restart; the rules themselves apply live with --dynamic-dir');
  else if (!liveEnvoy && rules(a) !== rules(b)) logger.warn('rate limit rules were added, removed, reordered or narrowed differently: Envoy applies that only with a regenerated config (llm-extproc envoy-config) and a restart, or live with --dynamic-dir; changed numbers and windows apply now');
  const old = [...initial.backends.keys()];
  const added = [...cfg.backends.keys()].filter((b) => !old.includes(b));
  if (added.length && !liveEnvoy) logger.warn({ added }, 'new backends need routes in Envoy; regenerate the bootstrap (llm-extproc envoy-config) if Envoy is not configured for them');
  if (cfg.file.processor.workers !== initial.file.processor.workers) logger.warn({ workers: initial.file.processor.workers, configured: cfg.file.processor.workers }, 'processor.workers applies at start: restart serve to change the number of workers');
}
