// Running Envoy for `llm-extproc up` and the e2e tests: a local binary as a child process,
// or the official image through testcontainers where only Docker is available. Ports may
// be 0: the admin address comes from --admin-address-path, the listener port from /listeners.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVOY_MISSING_HINT, findEnvoy, type FoundEnvoy } from './find.js';

export interface StartEnvoyOptions {
  bootstrapYaml: string;
  /** Envoy's --log-level (trace…critical, off); default warn. */
  logLevel?: string;
  /** Worker threads; default min(CPUs, 4), plenty for a local gateway. */
  concurrency?: number;
  cwd?: string;
  /** Envoy's stdout (where the generated access log goes): inherited by default. */
  stdout?: 'inherit' | 'ignore' | ((chunk: Buffer) => void);
  /** Also copy Envoy's stderr to ours; it is captured for logs() either way. */
  echoStderr?: boolean;
  /** How long Envoy may take to bind and report LIVE; default 20 s. */
  readyTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL in stop(); default 5 s. */
  stopGraceMs?: number;
  /** How often Envoy flushes access logs (stdout or file); default 1000 ms. */
  accessLogFlushMs?: number;
  /** Use this Envoy instead of looking one up. */
  envoy?: FoundEnvoy;
  /** Host directories the bootstrap names (live config files): a container sees each at the same path. */
  mounts?: string[];
}

export interface RunningEnvoy {
  kind: FoundEnvoy['kind'];
  /** e.g. http://127.0.0.1:9901 */
  adminUrl: string;
  /** Bound port of the first listener. */
  listenerPort: number;
  /** Bound port of every listener, by listener name. */
  listenerPorts: Record<string, number>;
  /** The Envoy process (binary kind only). */
  child?: ChildProcess;
  /** Resolves when Envoy has exited, whoever stopped it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  /** The tail of Envoy's stderr (its own log). */
  logs(): string;
}

const LOG_TAIL_BYTES = 64 * 1024;

/** Keeps the last few KiB of a stream: enough to explain a failed start. */
class Tail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > LOG_TAIL_BYTES * 2) this.text = this.text.slice(-LOG_TAIL_BYTES);
  }
  toString(): string {
    return this.text.slice(-LOG_TAIL_BYTES);
  }
}

function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

function envoyFlags(configPath: string, adminPathFile: string, o: StartEnvoyOptions): string[] {
  return [
    '-c', configPath,
    // Several Envoys (tests, a second `up`) must not fight over the hot-restart shared memory.
    '--use-dynamic-base-id',
    '--log-level', o.logLevel ?? 'warn',
    '--concurrency', String(o.concurrency ?? defaultConcurrency()),
    '--admin-address-path', adminPathFile,
    // Envoy's default of 10 s makes a foreground gateway look silent; tests wait on the log too.
    '--file-flush-interval-msec', String(o.accessLogFlushMs ?? 1000),
  ];
}

/** "0.0.0.0:9901" as written by Envoy -> a URL we can connect to. */
function adminUrlFrom(address: string): string {
  const a = address.trim().replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  return `http://${a}`;
}

async function getText(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

interface ListenerStatus {
  name?: string;
  local_address?: { socket_address?: { port_value?: number } };
}

function boundPorts(json: string): Record<string, number> | undefined {
  let statuses: ListenerStatus[];
  try {
    statuses = (JSON.parse(json) as { listener_statuses?: ListenerStatus[] }).listener_statuses ?? [];
  } catch {
    return undefined;
  }
  const ports: Record<string, number> = {};
  for (const s of statuses) {
    const port = s.local_address?.socket_address?.port_value;
    if (s.name && port) ports[s.name] = port;
  }
  return ports;
}

interface ReadyWatch {
  adminFile: string;
  deadline: number;
  /** Set once the process is gone: no point waiting further. */
  gone: () => string | undefined;
}

/** Polls until the admin address is known, /ready says LIVE and listeners are bound. */
async function waitReady(w: ReadyWatch): Promise<{ adminUrl: string; ports: Record<string, number> }> {
  let adminUrl: string | undefined;
  let lastState = 'no admin address yet';
  while (Date.now() < w.deadline) {
    const gone = w.gone();
    if (gone) throw new Error(gone);
    if (!adminUrl) {
      const text = await readFile(w.adminFile, 'utf8').catch(() => '');
      if (text.trim()) adminUrl = adminUrlFrom(text);
    }
    if (adminUrl) {
      const ready = await getText(`${adminUrl}/ready`);
      lastState = ready ? `admin /ready says ${ready.body.trim() || ready.status}` : 'admin not answering';
      if (ready?.status === 200) {
        const listeners = await getText(`${adminUrl}/listeners?format=json`);
        const ports = listeners && boundPorts(listeners.body);
        if (ports && Object.keys(ports).length > 0) return { adminUrl, ports };
        lastState = 'LIVE but no listener bound';
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Envoy not ready in time (${lastState})`);
}

function withLogs(err: unknown, logs: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${message}\n--- Envoy stderr (tail) ---\n${logs.trim() || '(empty)'}`);
}

async function startBinary(path: string, o: StartEnvoyOptions, dir: string, configPath: string): Promise<RunningEnvoy> {
  const adminFile = join(dir, 'admin-address');
  const tail = new Tail();
  const stdoutMode = typeof o.stdout === 'function' ? 'pipe' : (o.stdout ?? 'inherit');
  const child = spawn(path, envoyFlags(configPath, adminFile, o), {
    cwd: o.cwd,
    stdio: ['ignore', stdoutMode, 'pipe'],
  });
  if (typeof o.stdout === 'function') child.stdout?.on('data', o.stdout);
  child.stderr?.on('data', (chunk: Buffer) => {
    tail.push(chunk);
    if (o.echoStderr) process.stderr.write(chunk);
  });

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': it comes after stderr has drained, so logs() is complete.
    child.once('close', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      spawnError = err;
      // A process that never started emits no 'exit'.
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  // A test runner or CLI that dies must not leave Envoy holding its ports.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo && child.pid !== undefined) {
        child.kill('SIGTERM');
        const grace = new Promise<'timeout'>((r) => setTimeout(r, o.stopGraceMs ?? 5000, 'timeout').unref());
        if ((await Promise.race([exited, grace])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const { adminUrl, ports } = await waitReady({
      adminFile,
      deadline: Date.now() + (o.readyTimeoutMs ?? 20_000),
      gone: () => {
        if (spawnError) return `could not start Envoy at ${path}: ${spawnError.message}`;
        if (exitInfo) return `Envoy exited before it was ready (${exitInfo.signal ?? `code ${exitInfo.code}`})`;
        return undefined;
      },
    });
    return {
      kind: 'binary',
      adminUrl,
      listenerPort: Object.values(ports)[0]!,
      listenerPorts: ports,
      child,
      exited,
      stop,
      logs: () => tail.toString(),
    };
  } catch (err) {
    await stop();
    throw withLogs(err, tail.toString());
  }
}

const CONTAINER_DIR = '/etc/llm-extproc';

async function startDocker(image: string, o: StartEnvoyOptions, dir: string): Promise<RunningEnvoy> {
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
  } catch {
    throw new Error(`Envoy runs here only in Docker (${image}), which needs the testcontainers package: npm install testcontainers`);
  }
  const tail = new Tail();
  const flags = envoyFlags(`${CONTAINER_DIR}/envoy.yaml`, `${CONTAINER_DIR}/admin-address`, o);
  let started: Awaited<ReturnType<InstanceType<typeof tc.GenericContainer>['start']>>;
  try {
    started = await new tc.GenericContainer(image)
      // Host networking keeps "127.0.0.1:<grpc port>" in the bootstrap meaning the processor.
      .withNetworkMode('host')
      .withBindMounts([{ source: dir, target: CONTAINER_DIR, mode: 'rw' }, ...(o.mounts ?? []).map((p) => ({ source: p, target: p, mode: 'ro' as const }))])
      // The image drops to uid 101 by default, which cannot write the admin address into our mount.
      .withEnvironment({ ENVOY_UID: '0' })
      .withCommand(flags)
      .withLogConsumer((stream) => {
        stream.on('data', (chunk: Buffer | string) => {
          tail.push(chunk);
          if (o.echoStderr) process.stderr.write(chunk);
        });
      })
      .withWaitStrategy(tc.Wait.forSuccessfulCommand(`test -s ${CONTAINER_DIR}/admin-address`))
      .withStartupTimeout(o.readyTimeoutMs ?? 60_000)
      .start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw withLogs(err, tail.toString());
  }
  let stopping: Promise<void> | undefined;
  let resolveExited!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExited = r));
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await started.stop({ timeout: o.stopGraceMs ?? 5000 });
      } finally {
        resolveExited({ code: null, signal: 'SIGTERM' });
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    })();
    return stopping;
  };
  try {
    const { adminUrl, ports } = await waitReady({
      adminFile: join(dir, 'admin-address'),
      deadline: Date.now() + (o.readyTimeoutMs ?? 20_000),
      gone: () => undefined,
    });
    return { kind: 'docker', adminUrl, listenerPort: Object.values(ports)[0]!, listenerPorts: ports, exited, stop, logs: () => tail.toString() };
  } catch (err) {
    await stop();
    throw withLogs(err, tail.toString());
  }
}

async function resolveEnvoy(given?: FoundEnvoy): Promise<FoundEnvoy> {
  const envoy = given ?? (await findEnvoy());
  if (!envoy) throw new Error(ENVOY_MISSING_HINT);
  return envoy;
}

/** Starts Envoy with this bootstrap and resolves once it is LIVE with its listeners bound. */
export async function startEnvoy(o: StartEnvoyOptions): Promise<RunningEnvoy> {
  const envoy = await resolveEnvoy(o.envoy);
  const dir = await mkdtemp(join(tmpdir(), 'llm-extproc-envoy-'));
  const configPath = join(dir, 'envoy.yaml');
  await writeFile(configPath, o.bootstrapYaml);
  return envoy.kind === 'binary' ? startBinary(envoy.path, o, dir, configPath) : startDocker(envoy.image, o, dir);
}

function execOutput(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const spawnFailed = err && typeof (err as NodeJS.ErrnoException).code === 'string';
      resolve({ ok: !err, output: `${stdout}${stderr}${spawnFailed ? err.message : ''}` });
    });
  });
}

/** `envoy --mode validate`: parses and instantiates the whole bootstrap without serving. */
export async function validateBootstrap(yaml: string, envoy?: FoundEnvoy): Promise<{ ok: boolean; output: string }> {
  const found = await resolveEnvoy(envoy);
  const dir = await mkdtemp(join(tmpdir(), 'llm-extproc-validate-'));
  try {
    await writeFile(join(dir, 'envoy.yaml'), yaml);
    if (found.kind === 'binary') {
      return await execOutput(found.path, ['--mode', 'validate', '-c', join(dir, 'envoy.yaml'), '--log-level', 'warn']);
    }
    return await execOutput('docker', [
      'run', '--rm', '-e', 'ENVOY_UID=0', '-v', `${dir}:${CONTAINER_DIR}:ro`, found.image,
      '--mode', 'validate', '-c', `${CONTAINER_DIR}/envoy.yaml`, '--log-level', 'warn',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
