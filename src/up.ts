// `llm-extproc up`: the processor and a local Envoy in the foreground. The processor
// starts first so Envoy's bootstrap can name its real port (port 0 = pick one).
import type { RuntimeConfig } from './config/compile.js';
import { findCaFile, generateBootstrap } from './envoy/bootstrap.js';
import { startEnvoy } from './envoy/launcher.js';
import { startProcessor } from './server/index.js';
import { logger } from './telemetry/logger.js';

export async function runUp(loaded: { cfg: RuntimeConfig; path?: string }, opts: { accessLogPath?: string }): Promise<void> {
  const { cfg, path } = loaded;
  const proc = await startProcessor({ config: cfg, configPath: path, host: '127.0.0.1' });
  let envoy: Awaited<ReturnType<typeof startEnvoy>>;
  try {
    const bootstrapYaml = generateBootstrap(cfg, {
      processor: { host: '127.0.0.1', port: proc.grpcPort },
      accessLogPath: opts.accessLogPath,
      // The system CA bundle's path differs between Linux distributions and macOS.
      caFile: findCaFile(),
    });
    envoy = await startEnvoy({ bootstrapYaml });
  } catch (err) {
    await proc.stop(1000);
    throw err;
  }
  const backends = [...cfg.backends.values()].map((b) => `${b.name}=${b.provider.name}@${b.scheme}://${b.authority}`);
  process.stdout.write(
    [
      `llm-extproc is up`,
      `  gateway (Envoy):   http://127.0.0.1:${envoy.listenerPort}`,
      `  Envoy admin:       ${envoy.adminUrl}`,
      `  processor gRPC:    127.0.0.1:${proc.grpcPort}`,
      `  processor admin:   http://127.0.0.1:${proc.adminPort}  (/metrics /healthz /readyz /config)`,
      `  backends:          ${backends.join(', ')}${cfg.defaultBackend ? ` (default ${cfg.defaultBackend})` : ''}`,
      `  try: curl http://127.0.0.1:${envoy.listenerPort}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"${[...cfg.backends.values()][0]?.model ?? 'llama3.2'}","messages":[{"role":"user","content":"Hello"}]}'`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([envoy.stop(), proc.stop(5000)]);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  envoy.exited.then((code) => {
    if (!stopping) {
      logger.error({ code, logs: envoy.logs() }, 'Envoy exited; stopping');
      void stop(1);
    }
  });
}
