// `serve --workers N`: the primary process. It forks N workers (node:cluster) that each run the
// gRPC server on the one port or unix socket (the primary holds the listening socket and hands
// each new connection to the next worker in turn), runs the only admin server (/metrics of all
// workers, /readyz = every worker serving and not draining), watches the config file and hands
// each valid reload to every worker, replaces a worker that dies (with a backoff), and on stop
// drains every worker and waits for them.
import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge } from 'prom-client';
import { type AdminServer, startAdminServer } from '../admin/http.js';
import type { RuntimeConfig } from '../config/compile.js';
import { ConfigHolder } from '../config/load.js';
import { logger } from '../logger.js';
import { registry } from '../telemetry/metrics.js';
import { startDynamicWriter, warnAboutReload, writeLimitsFile } from './apply.js';
import type { DynamicWriterOptions } from '../envoy/dynamic.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { type FromWorker, isFromWorker, msg, type ToWorker } from './cluster-messages.js';

export interface WorkersOptions {
  config: RuntimeConfig;
  /** Watched; each valid change goes to every worker. */
  configPath?: string;
  /** The config file's text `config` was made from: a change before the watch starts is caught up. */
  configText?: string;
  workers: number;
  host: string;
  grpcListen: number | string;
  adminPort: number;
  /** How long a worker lets its open streams finish on stop (SHUTDOWN_GRACE_MS). */
  graceMs: number;
  watchIntervalMs?: number;
  /** Envoy's clusters and routes as watched files: the primary is their one writer. */
  envoyDynamic?: DynamicWriterOptions;
}

export interface RunningWorkers {
  admin: AdminServer;
  /** Where the workers listen: host:port, or unix:/path. */
  grpcAddress: string;
  /** The workers now running. */
  pids(): number[];
  /** Drains every worker; true when all of them exited cleanly. */
  stop(): Promise<boolean>;
}

/** A worker that exited before all of them were serving: the start failed. */
export class WorkersStartError extends Error {}

/** A worker that served this long before it died is not crash-looping: its backoff starts over. */
export const STABLE_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Past the grace, a worker that has not exited is killed. */
const STOP_WATCHDOG_MS = 5_000;

/**
 * How long to wait before replacing a worker, given how many times in a row its slot's worker
 * died soon after starting (this exit included): the first replacement is immediate, then
 * 0.5 s, 1 s, 2 s … up to 30 s, so a worker that cannot live does not spin a core.
 */
export function restartDelay(quickFailures: number): number {
  if (quickFailures <= 1) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (quickFailures - 2), BACKOFF_MAX_MS);
}

const WORKER_MAIN = fileURLToPath(new URL(`./worker-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

interface Slot {
  worker?: Worker;
  serving: boolean;
  servingSince?: number;
  quickFailures: number;
  timer?: NodeJS.Timeout;
  /** Why its worker could not start, as it said before exiting. */
  failure?: string;
}

/** The primary's own metrics, made once (only a primary has them). */
let countServing = () => 0;
let primaryMetrics: { restarts: Counter } | undefined;
function supervisorMetrics(): { restarts: Counter } {
  if (!primaryMetrics) {
    new Gauge({
      name: 'llm_extproc_workers_serving',
      help: 'Processor workers (serve --workers) serving now.',
      registers: [registry],
      collect() {
        this.set(countServing());
      },
    });
    primaryMetrics = { restarts: new Counter({ name: 'llm_extproc_worker_restarts_total', help: 'Processor workers (serve --workers) that exited unexpectedly and were replaced.', registers: [registry] }) };
  }
  return primaryMetrics;
}

export async function startWorkers(opts: WorkersOptions): Promise<RunningWorkers> {
  // Round robin (Node's default on Linux, made explicit): Envoy opens few, long-lived
  // connections, and the kernel's choice (SCHED_NONE) tends to give them all to one worker.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: WORKER_MAIN, args: [] });
  writeLimitsFile(opts.config);
  const dynamic = startDynamicWriter(opts.config, opts.envoyDynamic);
  const holder = new ConfigHolder(opts.config, opts.configPath, opts.configText);
  const slots: Slot[] = Array.from({ length: opts.workers }, () => ({ serving: false, quickFailures: 0 }));
  const live = () => slots.flatMap((s) => (s.worker ? [s.worker] : []));
  const metrics = supervisorMetrics();
  countServing = () => slots.filter((s) => s.serving).length;
  const gatherer = new ClusterMetrics(live);
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let bound: { address: string; port: number } | undefined;
  let admin: AdminServer | undefined;
  const isReady = () => phase !== 'stopping' && slots.every((s) => s.serving);
  const updateReady = () => admin?.setReady(isReady());

  let started!: { resolve: () => void; reject: (e: Error) => void };
  const allServing = new Promise<void>((resolve, reject) => (started = { resolve, reject }));

  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  const onMessage = (slot: Slot, w: Worker, m: FromWorker) => {
    switch (m.t) {
      case msg.hello:
        // A worker forked just before a stop may not have heard it: it is told again now.
        if (phase === 'stopping') return send(w, { t: msg.stop, graceMs: opts.graceMs });
        // Every worker listens on the same target: node:cluster shares one socket per target
        // (port 0 included: the first worker's pick is everyone's).
        send(w, { t: msg.start, file: holder.current.file, listen: opts.grpcListen, host: opts.host, graceMs: opts.graceMs });
        return;
      case msg.serving:
        slot.serving = true;
        slot.servingSince = Date.now();
        bound ??= { address: m.address, port: m.port };
        logger.info({ worker: w.id, pid: w.process.pid }, 'worker serving');
        updateReady();
        if (phase === 'starting' && slots.every((s) => s.serving)) {
          phase = 'running';
          started.resolve();
        }
        return;
      case msg.failed:
        slot.failure = m.message;
        return;
      case msg.metrics:
        gatherer.receive(w.id, m);
        return;
    }
  };

  const onExit = (slot: Slot, w: Worker, code: number | null, signal: string | null) => {
    gatherer.retire(w.id);
    if (slot.worker === w) slot.worker = undefined;
    const lived = slot.servingSince ? Date.now() - slot.servingSince : 0;
    slot.serving = false;
    slot.servingSince = undefined;
    updateReady();
    if (phase === 'stopping') return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (phase === 'starting') {
      started.reject(new WorkersStartError(`a processor worker exited (${how}) before serving${slot.failure ? `: ${slot.failure}` : ''}`));
      return;
    }
    slot.quickFailures = lived >= STABLE_MS ? 1 : slot.quickFailures + 1;
    const delayMs = restartDelay(slot.quickFailures);
    metrics.restarts.inc();
    logger.error({ worker: w.id, pid: w.process.pid, code, signal, restartInMs: delayMs }, 'processor worker exited unexpectedly; replacing it');
    slot.timer = setTimeout(() => fork(slot), delayMs);
  };

  const fork = (slot: Slot) => {
    slot.timer = undefined;
    slot.failure = undefined;
    const w = cluster.fork();
    slot.worker = w;
    w.on('message', (m: unknown) => {
      if (isFromWorker(m)) onMessage(slot, w, m);
    });
    w.on('exit', (code: number | null, signal: string | null) => onExit(slot, w, code, signal));
    // A send to a worker that just died: its exit is what counts.
    w.on('error', (err: Error) => logger.debug({ err, worker: w.id }, 'processor worker channel error'));
  };

  const exited = (w: Worker) => new Promise<boolean>((ok) => (w.isDead() ? ok(w.process.exitCode === 0) : w.once('exit', (code: number | null) => ok(code === 0))));

  slots.forEach(fork);
  try {
    await allServing;
  } catch (err) {
    phase = 'stopping';
    const rest = live();
    for (const w of rest) w.process.kill('SIGKILL');
    await Promise.all(rest.map(exited));
    throw err;
  }

  admin = await startAdminServer(holder, opts.adminPort, opts.host, { metrics: () => gatherer.text(), ready: isReady() });
  admin.setBound({ host: opts.host, grpc: bound!.address.startsWith('unix:') ? bound!.address : bound!.port, admin: admin.port, workers: opts.workers });
  logger.info({ workers: opts.workers, address: bound!.address, pids: live().map((w) => w.process.pid) }, 'processor workers serving');

  holder.watch(opts.watchIntervalMs);
  holder.onReload((cfg) => {
    writeLimitsFile(cfg);
    warnAboutReload(opts.config, cfg, dynamic !== undefined);
    for (const w of live()) send(w, { t: msg.config, file: cfg.file });
    void dynamic?.apply(cfg);
  });

  let stopping: Promise<boolean> | undefined;
  return {
    admin,
    grpcAddress: bound!.address,
    pids: () => live().flatMap((w) => (w.process.pid ? [w.process.pid] : [])),
    stop() {
      stopping ??= (async () => {
        phase = 'stopping';
        updateReady();
        holder.close();
        for (const s of slots) clearTimeout(s.timer);
        const workers = live();
        const clean = Promise.all(workers.map(exited));
        for (const w of workers) {
          if (w.isConnected()) send(w, { t: msg.stop, graceMs: opts.graceMs });
          else w.process.kill('SIGTERM');
        }
        const watchdog = setTimeout(() => {
          const stuck = live();
          logger.error({ pids: stuck.map((w) => w.process.pid) }, 'processor workers did not exit after the grace period; killing them');
          for (const w of stuck) w.process.kill('SIGKILL');
        }, opts.graceMs + STOP_WATCHDOG_MS);
        const codes = await clean;
        clearTimeout(watchdog);
        await admin!.close();
        return codes.every(Boolean);
      })();
      return stopping;
    },
  };
}
