// One `serve --workers` worker: the ext_proc gRPC server on the port or socket the primary
// shares (node:cluster), with the config the primary validated (at start and on every reload),
// its metrics handed to the primary on request, and a graceful drain when the primary says
// stop or when the signal reaches it directly (Ctrl-C signals the whole process group).
import cluster from 'node:cluster';
import { closeSecretWatchers } from '../auth/secrets.js';
import { ConfigProblems, type RuntimeConfig } from '../config/compile.js';
import { parseConfigObject } from '../config/load.js';
import { logger, usageLogger } from '../logger.js';
import { limitsView } from '../ratelimit/remaining.js';
import { registry } from '../telemetry/metrics.js';
import { shutdownTracing } from '../telemetry/tracing.js';
import { SHUTDOWN_ESTIMATES_MS, stopTokenizerThread } from '../usage/tokenizer-thread.js';
import { applyTelemetry, configureLimitsView } from './apply.js';
import { type FromWorker, isToWorker, msg, type ToWorker } from './cluster-messages.js';
import { type GrpcServer, startGrpcServer } from './grpc.js';

type Start = Extract<ToWorker, { t: typeof msg.start }>;

function send(m: FromWorker): void {
  // The primary may be gone (it is being killed): nothing to tell then.
  if (process.connected) process.send?.(m);
}

function problemsOf(err: unknown): string[] {
  return err instanceof ConfigProblems ? err.problems : [(err as Error).message];
}

class Worker {
  private grpc?: GrpcServer;
  /** Where the streams read the config; set before the server starts. */
  private readonly source = { current: undefined as unknown as RuntimeConfig };
  private graceMs = 0;
  /** A stop that came while the server was starting: honoured once it has. */
  private stopAsked?: { why: string; graceMs: number };
  private draining?: Promise<void>;

  onMessage(m: ToWorker): void {
    switch (m.t) {
      case msg.start:
        if (!this.grpc && !this.stopAsked) void this.start(m);
        return;
      case msg.config:
        this.applyConfig(m.file);
        return;
      case msg.metrics:
        registry
          .getMetricsAsJSON()
          .then((metrics) => send({ t: msg.metrics, id: m.id, metrics }))
          .catch((err: unknown) => send({ t: msg.metrics, id: m.id, error: (err as Error).message }));
        return;
      case msg.stop:
        this.stop('the primary is stopping', m.graceMs);
        return;
    }
  }

  stop(why: string, graceMs = this.graceMs): void {
    const grpc = this.grpc;
    // Not serving yet: nothing to drain (the start goes on to its end, then stops).
    if (!grpc) {
      this.stopAsked ??= { why, graceMs };
      if (!this.source.current) process.exit(0);
      return;
    }
    this.draining ??= (async () => {
      logger.info({ why, graceMs }, 'worker draining: no new streams, letting open ones finish');
      await grpc.shutdown(graceMs);
      // Hang-ups' estimates still being counted are recorded before the process goes.
      await stopTokenizerThread(SHUTDOWN_ESTIMATES_MS);
      await shutdownTracing().catch((err: unknown) => logger.warn({ err }, 'flushing traces at shutdown failed'));
      closeSecretWatchers();
      limitsView.close();
      // The usage log's last batch is written by the exit handler (logger.ts).
      process.exit(0);
    })();
  }

  private async start(m: Start): Promise<void> {
    this.graceMs = m.graceMs;
    try {
      // The primary's config object, compiled here: secrets resolve in this process.
      this.source.current = parseConfigObject(m.file);
      await applyTelemetry(this.source.current);
      configureLimitsView(this.source.current);
      this.grpc = await startGrpcServer(this.source, m.listen, m.host);
    } catch (err) {
      const message = problemsOf(err).join('; ');
      logger.error({ err: message }, 'worker could not start');
      send({ t: msg.failed, message });
      process.exit(1);
    }
    send({ t: msg.serving, address: this.grpc.address, port: this.grpc.port });
    if (this.stopAsked) this.stop(this.stopAsked.why, this.stopAsked.graceMs);
  }

  private applyConfig(file: unknown): void {
    try {
      const cfg = parseConfigObject(file);
      this.source.current = cfg;
      applyTelemetry(cfg).catch((err: unknown) => logger.warn({ err }, 'applying the reloaded telemetry settings failed'));
      configureLimitsView(cfg);
      logger.info({ backends: [...cfg.backends.keys()] }, 'worker applied the reloaded config');
    } catch (err) {
      // The primary validated it; only a secret this process cannot read gets here.
      logger.error({ problems: problemsOf(err) }, 'worker could not apply the reloaded config; keeping its running config');
    }
  }
}

export function runWorker(): void {
  // Every line says which worker wrote it (the usage log's included): the pid is what ps shows.
  const who = { worker: cluster.worker?.id, pid: process.pid };
  logger.setBindings(who);
  usageLogger.setBindings(who);
  const worker = new Worker();
  process.on('message', (m: unknown) => {
    if (isToWorker(m)) worker.onMessage(m);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => worker.stop(signal));
  // A primary that dies without a word (SIGKILL) disconnects the channel, and node:cluster then
  // exits the worker at once (its own handler, before any of ours): its open streams end there.
  // Messages sent before the listener above existed are lost: only now may the primary start us.
  send({ t: msg.hello });
}
