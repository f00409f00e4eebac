// The llm-extproc command as users run it (from dist/, built by `npm test`'s pretest):
// check, envoy-config, serve (graceful SIGTERM), up (processor + real Envoy).
import { createHash } from 'node:crypto';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProtos } from '../../src/server/protos.js';
import { openaiLike } from './fixtures.js';
import { requireEnvoy, startFakeUpstream } from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'llm-extproc.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function tmpConfig(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'llm-extproc-cli-')), 'config.yaml');
  writeFileSync(p, text);
  return p;
}

/** Collects a child's stdout and resolves when a line matches. */
function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!re.test(out)) reject(new Error(`exited ${code} before ${re}; output:\n${out}`));
    });
  });
}

const exited = (c: ChildProcess) => new Promise<number | null>((ok) => (c.exitCode !== null ? ok(c.exitCode) : c.once('exit', (code) => ok(code))));

describe('llm-extproc check', () => {
  it.each(readdirSync(join(ROOT, 'deploy/examples')).filter((f) => f.endsWith('.yaml')))('accepts deploy/examples/%s', (file) => {
    const r = run('check', '--config', join('deploy/examples', file));
    expect(r.stderr.replace(/^warning: .*\n/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok');
  });

  it('prints every problem with its path and exits 1', () => {
    const p = tmpConfig(`
defaultBackend: ghost
backends:
  azure:
    provider: openai
    authHeaderOverride: { prefix: "" }
  other: { provider: openai, endpoint: "ftp://x" }
`);
    const r = run('check', '--config', p);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('backends.azure.authHeaderOverride.headerName: Required');
    expect(r.stderr).toContain('backends.other.endpoint: must be scheme://host[:port]');
    // One pass: a reference to an unknown backend is reported beside the schema errors.
    expect(r.stderr).toContain('defaultBackend: backend "ghost" is not configured');
    // Plain text only, no JSON log lines.
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/"level":/);
  });

  it('warns in plain words about credentials this machine lacks, and still exits 0', () => {
    const p = tmpConfig(`
backends:
  a: { provider: openai, authToken: { kind: SecretRef, secretRef: { env: LLM_EXTPROC_TEST_UNSET_KEY } } }
  f: { provider: anthropic, authToken: { kind: SecretRef, secretRef: { file: /nonexistent/llm-extproc/key } } }
  b: { provider: bedrock, region: us-east-1 }
`);
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', p], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, LOG_LEVEL: 'info' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: backends.a.authToken: environment variable LLM_EXTPROC_TEST_UNSET_KEY is not set here');
    expect(r.stderr).toContain('warning: backends.f.authToken: file /nonexistent/llm-extproc/key does not exist here');
    expect(r.stderr).toMatch(/warning: backends\.b\.aws: .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set here/);
    expect(r.stdout).toContain('ok (3 backends, 3 warnings)');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/"level":/);
  });
});

describe('llm-extproc help and version', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage and exits 0', (flag) => {
    const r = run(flag);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: llm-extproc <command>/);
    for (const c of ['serve', 'up', 'envoy-config', 'check']) expect(r.stdout).toContain(c);
  });

  it.each([['help', 'up'], ['up', '--help'], ['check', '-h']])('%s %s prints that command’s usage', (a, b) => {
    const r = run(a, b);
    expect(r.status).toBe(0);
    const cmd = a === 'help' ? b : a;
    expect(r.stdout).toContain(`usage: llm-extproc ${cmd}`);
  });

  it('--version prints the package version; an unknown command is exit 2 with the usage', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(run('--version').stdout).toBe(`llm-extproc ${version}\n`);
    const r = run('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command: frobnicate');
  });

  it('a port already in use is one line naming the port and its holder, not a stack trace', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    const port = (holder.address() as { port: number }).port;
    try {
      const p = tmpConfig('backends: { a: { provider: openai, endpoint: "http://127.0.0.1:9" } }\n');
      const r = run('serve', '--config', p, '--grpc-port', String(port), '--admin-port', '0');
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`port ${port} (processor gRPC) on 127.0.0.1 is already in use by pid ${process.pid}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  });
});

describe('llm-extproc envoy-config', () => {
  it('the committed envoy/envoy.yaml and envoy.compose.yaml are what the generator makes from the examples', () => {
    const plain = run('envoy-config', '--config', 'deploy/examples/gateway.yaml');
    expect(plain.status).toBe(0);
    expect(readFileSync(join(ROOT, 'envoy/envoy.yaml'), 'utf8')).toBe(plain.stdout);
    const compose = run('envoy-config', '--config', 'deploy/compose/config.yaml', '--processor-address', 'extproc:50051', '--envoy-admin-address', '0.0.0.0', '--dynamic-dir', '/srv/envoy-dynamic');
    expect(readFileSync(join(ROOT, 'envoy/envoy.compose.yaml'), 'utf8')).toBe(compose.stdout);
  });

  it('--dynamic-dir points the bootstrap at watched CDS/RDS files; --write-dynamic writes the first ones', () => {
    const p = tmpConfig('backends: { a: { provider: openai, endpoint: "http://127.0.0.1:1" } }\n');
    const dir = join(mkdtempSync(join(tmpdir(), 'llm-extproc-cli-dyn-')), 'envoy');
    const r = run('envoy-config', '--config', p, '--dynamic-dir', dir, '--write-dynamic');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`path: ${dir}/cds.yaml`);
    expect(r.stdout).toContain(`path: ${dir}/rds.yaml`);
    expect(r.stdout).not.toContain('backend_a');
    expect(readdirSync(dir).sort()).toEqual(['cds.yaml', 'rds.yaml']);
    expect(readFileSync(join(dir, 'cds.yaml'), 'utf8')).toContain('name: backend_a');
    const lone = run('envoy-config', '--config', p, '--write-dynamic');
    expect(lone.status).toBe(1);
    expect(lone.stderr).toContain('--write-dynamic needs --dynamic-dir DIR');
  });

  it('logs go to stderr: a warning while loading (an unreadable key file) stays out of the YAML on stdout', () => {
    const p = tmpConfig('backends: { v: { provider: vertexai, projectId: p, location: us-central1, serviceAccountKey: { file: /nonexistent/llm-extproc-key.json } } }\n');
    const r = run('envoy-config', '--config', p);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('secret file unreadable');
    expect(r.stdout.startsWith('# Generated by llm-extproc')).toBe(true);
    expect(r.stdout).not.toContain('"level"');
    expect((parseYaml(r.stdout) as { static_resources: unknown }).static_resources).toBeDefined();
  });
});

describe('llm-extproc serve', () => {
  it('SIGTERM: stops accepting, lets an open stream finish, exits 0', async () => {
    const p = tmpConfig('defaultBackend: a\nbackends: { a: { provider: openai, endpoint: "http://127.0.0.1:9", routes: { "*": passthrough } } }\n');
    const child = spawn(process.execPath, [BIN, 'serve', '--config', p, '--grpc-port', '0', '--admin-port', '0'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' } });
    children.push(child);
    const out = await waitForLine(child, /admin HTTP listening/);
    const grpcAddr = /"address":"([^"]+)","msg":"ext_proc gRPC server listening"/.exec(out)![1]!;
    const adminPort = /"port":(\d+),"msg":"admin HTTP listening"/.exec(out)![1]!;
    const { ExternalProcessorClient } = loadProtos();
    const client = new ExternalProcessorClient(grpcAddr, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Process(): grpc.ClientDuplexStream<unknown, Record<string, unknown>> };
    const call = client.Process();
    const replies: Record<string, unknown>[] = [];
    call.on('data', (r) => replies.push(r));
    // The server going away after the test ends the call with UNAVAILABLE: expected here.
    call.on('error', () => {});
    const hdr = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
    call.write({ request_headers: { headers: hdr({ ':method': 'GET', ':path': '/v1/files', ':authority': 'x' }), end_of_stream: true } });
    while (replies.length < 1) await new Promise((ok) => setTimeout(ok, 20));
    expect(replies[0]!.request_headers).toBeDefined();

    child.kill('SIGTERM');
    // Draining: readiness fails, but the open stream is still served.
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i++) {
      ready = (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => ({ status: 0 }))).status;
      if (ready === 200) await new Promise((ok) => setTimeout(ok, 20));
    }
    expect(ready).toBe(503);
    call.write({ response_headers: { headers: hdr({ ':status': '200' }), end_of_stream: true } });
    while (replies.length < 2) await new Promise((ok) => setTimeout(ok, 20));
    expect(replies[1]!.response_headers).toBeDefined();
    expect(child.exitCode).toBeNull();
    call.end();
    expect(await exited(child)).toBe(0);
    client.close();
  });
});

describe('llm-extproc up', () => {
  it('runs the processor and a real Envoy, prints the addresses, and Ctrl-C stops both', async () => {
    await requireEnvoy();
    const upstream = await startFakeUpstream(openaiLike('up-backend'));
    try {
      const p = tmpConfig(`defaultBackend: local\nbackends: { local: { provider: openai, endpoint: "${upstream.url}" } }\n`);
      const child = spawn(process.execPath, [BIN, 'up', '--config', p, '--port', '0', '--envoy-admin-port', '0', '--grpc-port', '0', '--admin-port', '0'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } });
      children.push(child);
      const out = await waitForLine(child, /llm-extproc is up[\s\S]*try:/);
      const url = /gateway \(Envoy\):\s+(http:\/\/\S+)/.exec(out)![1]!;
      const admin = /Envoy admin:\s+(http:\/\/\S+)/.exec(out)![1]!;
      const procAdmin = /processor admin:\s+(http:\/\/\S+)/.exec(out)![1]!;
      // Loopback by default: a laptop gateway holding provider keys is no relay for the LAN.
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(procAdmin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // /config shows the ports actually bound (0 in the file: picked), not the defaults.
      const effective = (await (await fetch(`${procAdmin}/config`)).json()) as { listen: { host: string }; ports: Record<string, number> };
      expect(effective.listen.host).toBe('127.0.0.1');
      expect(`http://127.0.0.1:${effective.ports.envoy}`).toBe(url);
      expect(`http://127.0.0.1:${effective.ports.admin}`).toBe(procAdmin);
      expect(effective.ports.grpc).toBeGreaterThan(0);
      expect(effective.ports.envoyAdmin).toBe(Number(new URL(admin).port));
      const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('Hello from up-backend');
      // Live config: a backend added to the file is routed by the same Envoy within seconds.
      writeFileSync(p, `defaultBackend: local\nbackends: { local: { provider: openai, endpoint: "${upstream.url}" }, added: { provider: openai, endpoint: "${upstream.url}", model: added-model } }\n`);
      let added = 0;
      for (const until = Date.now() + 10_000; added !== 200 && Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        added = (await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'added' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) })).status;
      }
      expect(added).toBe(200);
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      await expect(fetch(`${admin}/ready`)).rejects.toThrow();
    } finally {
      await upstream.close();
    }
  });

  it('with limits and no rate limit service named, starts Redis and the ratelimit service itself, and stops them', async () => {
    await requireEnvoy();
    const upstream = await startFakeUpstream(openaiLike('up-limited'));
    try {
      const key = 'gk-up-limits-0001';
      const sha = createHash('sha256').update(key).digest('hex');
      const p = tmpConfig(
        `defaultBackend: local\nbackends: { local: { provider: openai, endpoint: "${upstream.url}" } }\n` +
          `clients: { me: { keys: [ { sha256: "${sha}" } ] } }\nrateLimits: { rules: [ { clients: ["*"], requests: { limit: 2, per: day } } ] }\n`,
      );
      const child = spawn(process.execPath, [BIN, 'up', '--config', p, '--port', '0', '--envoy-admin-port', '0', '--grpc-port', '0', '--admin-port', '0'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } });
      children.push(child);
      const out = await waitForLine(child, /llm-extproc is up[\s\S]*try:/);
      expect(out).toMatch(/rate limits:\s+ratelimit service 127\.0\.0\.1:\d+ \(Redis on 127\.0\.0\.1:\d+\)/);
      const url = /gateway \(Envoy\):\s+(http:\/\/\S+)/.exec(out)![1]!;
      const ask = () => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      // The service reads the file the processor wrote a moment after both started.
      const statuses: number[] = [];
      const until = Date.now() + 10_000;
      while (!statuses.includes(429) && Date.now() < until) statuses.push((await ask()).status);
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(2);
      // A reloaded config rewrites the local service's file: a higher limit admits requests again.
      writeFileSync(p, readFileSync(p, 'utf8').replace('limit: 2,', 'limit: 50,'));
      let status = 429;
      const reloaded = Date.now() + 15_000;
      while (status === 429 && Date.now() < reloaded) {
        await new Promise((r) => setTimeout(r, 200));
        status = (await ask()).status;
      }
      expect(status).toBe(200);
      const redisPort = Number(/Redis on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      // Redis went with it.
      await expect(new Promise((ok, fail) => {
        const s = connect(redisPort, '127.0.0.1', () => (s.destroy(), ok(true)));
        s.once('error', fail);
      })).rejects.toThrow();
    } finally {
      await upstream.close();
    }
  }, 60_000);
});
