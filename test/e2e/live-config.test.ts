// Live config through a real Envoy: backends added to and removed from the processor's file
// reach Envoy as watched CDS/RDS files (no restart), under steady load with no failed request;
// a broken file changes nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap } from '../../src/envoy/bootstrap.js';
import { startEnvoy } from '../../src/envoy/launcher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatStream, openaiLike } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';

let stable: FakeUpstream, fresh: FakeUpstream, gone: FakeUpstream;
let gw: Gateway;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One chat request with a plain keep-alive client: status and body. */
function chat(backend: string, base = gw.url): Promise<{ status: number; body: string }> {
  const url = new URL('/v1/chat/completions', base);
  const payload = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-llm-backend': backend } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/** A few concurrent loops on one backend, counting every request and every failure. */
function load(backend: string, loops = 2) {
  const stats = { requests: 0, failures: [] as string[] };
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const r = await chat(backend);
        stats.requests++;
        if (r.status !== 200) stats.failures.push(`${r.status} ${r.body.slice(0, 200)}`);
      } catch (err) {
        stats.requests++;
        stats.failures.push(String(err));
      }
    }
  };
  const done = Promise.all(Array.from({ length: loops }, loop));
  return { stats, stop: async () => ((running = false), await done) };
}

async function envoyUptime(): Promise<number> {
  const info = (await (await fetch(`${gw.envoy.adminUrl}/server_info`)).json()) as { uptime_current_epoch: string };
  return Number.parseFloat(info.uptime_current_epoch);
}

async function envoyClusters(): Promise<string[]> {
  const body = (await (await fetch(`${gw.envoy.adminUrl}/clusters?format=json`)).json()) as { cluster_statuses: { name: string }[] };
  return body.cluster_statuses.map((c) => c.name);
}

const backend = (u: FakeUpstream) => ({ provider: 'openai', endpoint: u.url });

beforeAll(async () => {
  [stable, fresh, gone] = (await Promise.all(['stable', 'fresh', 'gone'].map((l) => startFakeUpstream(openaiLike(l))))) as [FakeUpstream, FakeUpstream, FakeUpstream];
  gw = await startGateway({ backends: { stable: backend(stable), gone: backend(gone) } }, { dynamic: true });
});

afterAll(async () => {
  agent.destroy();
  await gw?.stop();
  await Promise.all([stable, fresh, gone].map((u) => u?.close()));
});

describe('live config: clusters and routes from files Envoy watches', () => {
  it('adds, removes and survives a broken file under load, with no failed request and no Envoy restart', async () => {
    const pid = gw.envoy.child?.pid;
    const uptime0 = await envoyUptime();
    const base = load('stable');
    await sleep(500);

    // Add a backend: its requests succeed within a few seconds.
    const t0 = Date.now();
    gw.writeConfig({ backends: { stable: backend(stable), gone: backend(gone), fresh: backend(fresh) } });
    let firstOk: number | undefined;
    let beforeOk = 0;
    while (Date.now() - t0 < 10_000) {
      const r = await chat('fresh');
      if (r.status === 200) {
        firstOk = Date.now() - t0;
        break;
      }
      beforeOk++;
      await sleep(20);
    }
    expect(firstOk, 'the added backend never answered').toBeDefined();
    expect(firstOk!).toBeLessThan(5000);
    const added = load('fresh');
    await sleep(500);

    // Remove one: 404 backend_not_found in the OpenAI shape for it, the others unaffected;
    // a stream it is serving at that moment runs to its end.
    gone.reply = (req) => (JSON.parse(req.body.toString() || '{}').stream ? { sse: chatStream('m', Array.from({ length: 25 }, (_, i) => `w${i} `), false), delayMs: 100 } : openaiLike('gone')(req));
    const inFlight = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'gone' }, body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) }).then(async (r) => ({ status: r.status, body: await r.text() }));
    let streamDone = false;
    void inFlight.then(() => (streamDone = true));
    await sleep(300);
    const t1 = Date.now();
    gw.writeConfig({ backends: { stable: backend(stable), fresh: backend(fresh) } });
    let removedAfter: number | undefined;
    while (Date.now() - t1 < 10_000) {
      const r = await chat('gone');
      if (r.status === 404) {
        removedAfter = Date.now() - t1;
        expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'backend_not_found' } });
        break;
      }
      await sleep(20);
    }
    expect(removedAfter, 'the removed backend kept answering').toBeDefined();
    // Once the cluster is gone from Envoy too, the answer is the same.
    const until = Date.now() + 10_000;
    while ((await envoyClusters()).includes('backend_gone') && Date.now() < until) await sleep(100);
    expect(await envoyClusters()).not.toContain('backend_gone');
    // The stream outlived its cluster's removal.
    expect(streamDone).toBe(false);
    expect(await envoyClusters()).toContain('backend_fresh');
    const afterRemoval = await chat('gone');
    expect(afterRemoval.status).toBe(404);
    expect(JSON.parse(afterRemoval.body)).toMatchObject({ error: { code: 'backend_not_found', type: expect.any(String), message: expect.any(String) } });
    const stream = await inFlight;
    expect(stream.status).toBe(200);
    expect(stream.body).toContain('w24 ');
    expect(stream.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // ...in each client's own dialect.
    const anthropic = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'gone' }, body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(anthropic.status).toBe(404);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });

    // A broken file: the processor keeps its config and writes nothing; everything works as before.
    const dir = join(gw.configPath, '..', 'envoy');
    const files = () => ['cds.yaml', 'rds.yaml'].map((f) => readFileSync(join(dir, f), 'utf8'));
    const before = files();
    gw.writeConfig('backends: [this is: not a config');
    await sleep(1500);
    expect(files()).toEqual(before);
    expect((await chat('fresh')).status).toBe(200);
    expect((await chat('stable')).status).toBe(200);
    expect((await chat('gone')).status).toBe(404);

    await Promise.all([base.stop(), added.stop()]);
    const uptime1 = await envoyUptime();
    const figures = { addToFirstSuccessMs: firstOk, triesBeforeSuccess: beforeOk, removeTo404Ms: removedAfter, stableRequests: base.stats.requests, freshRequests: added.stats.requests, failures: base.stats.failures.length + added.stats.failures.length, envoyUptime: [uptime0, uptime1] };
    console.log('live config figures', JSON.stringify(figures));
    expect(base.stats.failures).toEqual([]);
    expect(added.stats.failures).toEqual([]);
    expect(base.stats.requests).toBeGreaterThan(50);
    expect(gw.envoy.child?.pid).toBe(pid);
    expect(uptime1).toBeGreaterThan(uptime0);
  }, 60_000);

  it('adds and removes a pool live: routed once its cluster is in, 404 backend_not_found once gone', async () => {
    const until = async (want: number, ms = 10_000) => {
      const t = Date.now();
      let last = { status: 0, body: '' };
      while (Date.now() - t < ms) {
        last = await chat('both');
        if (last.status === want) return { ...last, ms: Date.now() - t };
        await sleep(20);
      }
      throw new Error(`pool never answered ${want}: ${last.status} ${last.body}`);
    };
    const pool = { both: { backends: [{ backend: 'stable' }, { backend: 'fresh', priority: 1 }] } };
    gw.writeConfig({ backends: { stable: backend(stable), fresh: backend(fresh) }, pools: pool });
    const added = await until(200);
    expect(JSON.parse(added.body).choices[0].message.content).toBe('Hello from stable');
    const t = Date.now();
    while (!(await envoyClusters()).includes('pool_both') && Date.now() - t < 5000) await sleep(50);
    expect(await envoyClusters()).toContain('pool_both');
    gw.writeConfig({ backends: { stable: backend(stable), fresh: backend(fresh) } });
    const removed = await until(404);
    expect(JSON.parse(removed.body)).toMatchObject({ error: { code: 'backend_not_found' } });
    console.log('live config pool figures', JSON.stringify({ addToFirstSuccessMs: added.ms, removeTo404Ms: removed.ms }));
    expect((await chat('stable')).status).toBe(200);
  }, 30_000);
});

describe('live config under serve --workers 2', () => {
  it('only the primary writes the files; an added backend is routed without restarting Envoy', async () => {
    const ROOT = join(import.meta.dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-live-workers-'));
    const dynamicDir = join(dir, 'envoy');
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, stringify({ backends: { stable: backend(stable) } }));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'llm-extproc.js'), 'serve', '--config', configPath, '--workers', '2', '--grpc-port', '0', '--admin-port', '0', '--dynamic-dir', dynamicDir], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' } });
    const lines: Record<string, unknown>[] = [];
    let rest = '';
    child.stdout.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    const waitFor = async (msg: string, n = 1) => {
      for (const until = Date.now() + 30_000; Date.now() < until; await sleep(50)) {
        const hits = lines.filter((l) => l.msg === msg);
        if (hits.length >= n) return hits;
      }
      throw new Error(`no log line "${msg}" x${n}: ${JSON.stringify(lines.slice(-5))}`);
    };
    let envoy: Awaited<ReturnType<typeof startEnvoy>> | undefined;
    try {
      const serving = (await waitFor('processor workers serving'))[0]!;
      const port = Number(/:(\d+)$/.exec(String(serving.address))![1]);
      const cfg = parseConfigObject({ backends: { stable: backend(stable) } });
      const bootstrap = buildBootstrap({ ...cfg, ports: { ...cfg.ports, envoy: 0, envoyAdmin: 0 } }, { processor: { host: '127.0.0.1', port }, listenAddress: '127.0.0.1', accessLogPath: '/dev/null', dynamicDir });
      envoy = await startEnvoy({ bootstrapYaml: stringify(bootstrap), concurrency: 1, stdout: 'ignore' });
      const base = `http://127.0.0.1:${envoy.listenerPort}`;
      expect((await chat('stable', base)).status).toBe(200);
      const t0 = Date.now();
      writeFileSync(configPath, stringify({ backends: { stable: backend(stable), fresh: backend(fresh) } }));
      let status = 0;
      while (status !== 200 && Date.now() - t0 < 10_000) {
        status = (await chat('fresh', base)).status;
        if (status !== 200) await sleep(50);
      }
      expect(status).toBe(200);
      console.log('live config (workers) add to first success ms', Date.now() - t0);
      // One writer: the primary logs each change once, not once per worker.
      await waitFor('wrote Envoy clusters and routes');
      await sleep(300);
      expect(lines.filter((l) => l.msg === 'wrote Envoy clusters and routes')).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'wrote Envoy clusters and routes; reloads update them live')).toHaveLength(1);
      expect(envoy.child?.exitCode ?? null).toBeNull();
    } finally {
      await envoy?.stop();
      child.kill('SIGTERM');
      await new Promise((ok) => (child.exitCode !== null ? ok(null) : child.once('exit', ok)));
    }
  }, 60_000);
});
