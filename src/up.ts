// `llm-extproc up`: the processor and a local Envoy in the foreground. The processor
// starts first so Envoy's bootstrap can name its real port (port 0 = pick one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeConfig } from './config/compile.js';
import { findCaFile, generateBootstrap } from './envoy/bootstrap.js';
import { startEnvoy } from './envoy/launcher.js';
import { startProcessor } from './server/index.js';
import { logger } from './logger.js';
import { type LocalService, startLocalLimits, withLocalService } from './ratelimit/local.js';

/**
 * Limits with no service named: Redis and the ratelimit service are started here (when
 * installed; else the error says how), and the config points at them. A rateLimits section
 * without rules starts them too, so that rules added while `up` runs apply live.
 */
async function localLimits(cfg: RuntimeConfig): Promise<{ cfg: RuntimeConfig; stop(): Promise<void>; where?: string; service?: LocalService }> {
  const limits = cfg.file.rateLimits;
  if (!limits || limits.service.address) return { cfg, stop: async () => {} };
  const local = await startLocalLimits();
  if (limits.service.configDir) logger.warn({ configDir: limits.service.configDir }, 'rateLimits.service.configDir is set but no address: the local ratelimit service reads its own directory');
  const started = { address: local.ratelimit.grpcAddress, configDir: local.ratelimit.configDir };
  return {
    cfg: { ...cfg, file: { ...cfg.file, rateLimits: withLocalService(limits, started) } },
    service: started,
    stop: local.stop,
    where: `${local.ratelimit.grpcAddress} (Redis on 127.0.0.1:${local.redis.port})`,
  };
}

export async function runUp(loaded: { cfg: RuntimeConfig; path?: string; text?: string }, opts: { accessLogPath?: string }): Promise<void> {
  const { path } = loaded;
  const limits = await localLimits(loaded.cfg);
  const cfg = limits.cfg;
  const host = cfg.listenHost;
  // The system CA bundle's path differs between Linux distributions and macOS.
  const caFile = findCaFile();
  // Live config: the processor writes Envoy's clusters and routes here on every valid reload.
  const dynamicDir = mkdtempSync(join(tmpdir(), 'llm-extproc-envoy-dynamic-'));
  const removeDynamicDir = () => rmSync(dynamicDir, { recursive: true, force: true });
  let proc: Awaited<ReturnType<typeof startProcessor>>;
  try {
    proc = await startProcessor({ config: cfg, configPath: path, configText: loaded.text, host, localRateLimits: limits.service, envoyDynamic: { dir: dynamicDir, caFile } });
  } catch (err) {
    await limits.stop();
    removeDynamicDir();
    throw err;
  }
  let envoy: Awaited<ReturnType<typeof startEnvoy>>;
  try {
    const bootstrapYaml = generateBootstrap(cfg, {
      processor: { host: connectable(host), port: proc.grpcPort },
      listenAddress: host,
      accessLogPath: opts.accessLogPath,
      caFile,
      dynamicDir,
    });
    envoy = await startEnvoy({ bootstrapYaml, mounts: [dynamicDir] });
  } catch (err) {
    await proc.stop(1000);
    await limits.stop();
    removeDynamicDir();
    throw err;
  }
  // Added clusters are awaited in Envoy's admin before routes name them.
  proc.dynamic?.setAdminUrl(envoy.adminUrl);
  proc.admin.setBound({ envoy: envoy.listenerPort, envoyAdmin: Number(new URL(envoy.adminUrl).port) });
  const backends = [...cfg.backends.values()].map((b) => `${b.name}=${b.provider.name}@${b.scheme}://${b.authority}`);
  const shown = hostForUrl(host);
  const local = hostForUrl(connectable(host));
  process.stdout.write(
    [
      `llm-extproc is up`,
      `  gateway (Envoy):   http://${shown}:${envoy.listenerPort}${isWildcard(host) ? '  (every interface: reachable from the network)' : ''}`,
      `  Envoy admin:       ${envoy.adminUrl}`,
      `  processor gRPC:    ${shown}:${proc.grpcPort}`,
      `  processor admin:   http://${shown}:${proc.adminPort}  (/metrics /healthz /readyz /config)`,
      `  backends:          ${backends.join(', ')}${cfg.defaultBackend ? ` (default ${cfg.defaultBackend})` : ''}`,
      ...(limits.where ? [`  rate limits:       ratelimit service ${limits.where}`] : []),
      `  try: curl http://${local}:${envoy.listenerPort}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"${[...cfg.backends.values()][0]?.model ?? 'llama3.2'}","messages":[{"role":"user","content":"Hello"}]}'`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([envoy.stop(), proc.stop(5000)]);
    await limits.stop();
    removeDynamicDir();
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

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Where this machine reaches a server bound to `host` (a wildcard bind is reached on loopback). */
function connectable(host: string): string {
  if (!isWildcard(host)) return host;
  return host === '0.0.0.0' ? '127.0.0.1' : '::1';
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
