// The parts behind rate limits, run locally: Debian's redis-server and the envoyproxy/ratelimit
// service (built by `npm run setup -- --ratelimit` into .tools/bin), each on 127.0.0.1 and a
// free port. `up` starts them when the config has limits and names no service; the e2e tests
// start them too. A missing binary is an error that says how to install it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RateLimits } from '../config/schema.js';
import { onPath, packageRoot } from '../envoy/find.js';

const ROOT = packageRoot();

export function ratelimitBinary(): string {
  const found = process.env.RATELIMIT_BIN ?? [join(ROOT, '.tools', 'bin', 'ratelimit')].find((p) => existsSync(p));
  if (!found) throw new Error('the envoyproxy/ratelimit service is missing: run `npm run setup -- --ratelimit` (or set RATELIMIT_BIN)');
  return found;
}

export function redisBinary(): string {
  const found = process.env.REDIS_SERVER_BIN ?? onPath('redis-server');
  if (!found) throw new Error('redis-server is missing: `apt-get install redis-server` (`npm run setup -- --ratelimit` does it where it can), or set REDIS_SERVER_BIN');
  return found;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((done) => {
      const sock = new Socket();
      sock.once('connect', () => (sock.destroy(), done(true)));
      sock.once('error', () => done(false));
      sock.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((ok) => {
      if (child.exitCode !== null) return ok();
      child.once('exit', () => ok());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
}

export async function startRedis(port?: number): Promise<Running> {
  const p = port ?? (await freePort());
  const child = spawn(redisBinary(), ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(p, child, 'redis-server');
  return { port: p, pid: child.pid!, stop: stopper(child) };
}

export interface RatelimitService extends Running {
  /** Where the processor writes its descriptor file (rateLimits.service.configDir). */
  configDir: string;
  grpcAddress: string;
}

export async function startRatelimit(redisPort: number): Promise<RatelimitService> {
  const root = mkdtempSync(join(tmpdir(), 'llm-extproc-ratelimit-'));
  const configDir = join(root, 'ratelimit', 'config');
  mkdirSync(configDir, { recursive: true });
  const [grpc, http, debug] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(ratelimitBinary(), [], {
    stdio: 'ignore',
    env: {
      ...process.env,
      USE_STATSD: 'false',
      LOG_LEVEL: 'warn',
      REDIS_SOCKET_TYPE: 'tcp',
      REDIS_URL: `127.0.0.1:${redisPort}`,
      RUNTIME_ROOT: root,
      RUNTIME_SUBDIRECTORY: 'ratelimit',
      RUNTIME_APPDIRECTORY: 'config',
      RUNTIME_WATCH_ROOT: 'false',
      RUNTIME_IGNOREDOTFILES: 'true',
      HOST: '127.0.0.1',
      PORT: String(http),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpc),
      DEBUG_HOST: '127.0.0.1',
      DEBUG_PORT: String(debug),
    },
  });
  await waitForPort(grpc, child, 'the ratelimit service');
  return { port: grpc, pid: child.pid!, grpcAddress: `127.0.0.1:${grpc}`, configDir, stop: stopper(child) };
}

/** Redis and the ratelimit service for `up`: both stop with it. */
export async function startLocalLimits(): Promise<{ redis: Running; ratelimit: RatelimitService; stop(): Promise<void> }> {
  const redis = await startRedis();
  try {
    const ratelimit = await startRatelimit(redis.port);
    return { redis, ratelimit, stop: async () => void (await Promise.allSettled([ratelimit.stop(), redis.stop()])) };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}

/** A ratelimit service `up` started: where it listens and where it reads its descriptor file. */
export interface LocalService {
  address: string;
  configDir: string;
}

/** The limits pointed at a service `up` started, unless they name a service of their own. */
export function withLocalService(limits: RateLimits, local: LocalService | undefined): RateLimits {
  return local && !limits.service.address ? { ...limits, service: { ...limits.service, ...local } } : limits;
}
