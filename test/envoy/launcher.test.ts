// startEnvoy against a real Envoy, and the generated bootstrap doing its job there: a
// minimal scripted ext_proc server picks a backend by header, and the test checks routing,
// the 404 catch-all, fail-closed, the access log's metadata and the route-metadata attribute.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { buildBootstrap, generateBootstrap } from '../../src/envoy/bootstrap.js';
import { packageRoot } from '../../src/envoy/find.js';
import { startEnvoy, type RunningEnvoy } from '../../src/envoy/launcher.js';
import { METADATA_KEYS } from '../../src/envoy/metadata-keys.js';
import { parseMetadataText } from '../../src/envoy/textproto.js';
import { skipRealEnvoy, theEnvoy } from './available.js';

type Obj = Record<string, any>;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

// proto-loader's bundled google.protobuf.Struct uses camelCase names even with keepCase;
// setting both spellings keeps this helper right if proto/ ever ships its own struct.proto.
const str = (s: string) => ({ stringValue: s, string_value: s });
const num = (n: number) => ({ numberValue: n, number_value: n });
const struct = (fields: Record<string, unknown>) => ({ structValue: { fields }, struct_value: { fields } });
const textOf = (v: Obj | undefined): string | undefined => v?.stringValue ?? v?.string_value;

interface Seen {
  grpcMetadata: Record<string, unknown>;
  attributes: Obj | undefined;
}

/** An ext_proc server that routes to the backend named in request header `x-pick`. */
async function scriptedProcessor(): Promise<{ port: number; seen: Seen[]; stop: () => void }> {
  const def = protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', {
    includeDirs: [join(packageRoot(), 'proto')],
    keepCase: true,
    oneofs: true,
    defaults: false,
  });
  const pkg = grpc.loadPackageDefinition(def) as Obj;
  const server = new grpc.Server();
  const seen: Seen[] = [];
  server.addService(pkg.envoy.service.ext_proc.v3.ExternalProcessor.service, {
    Process(call: grpc.ServerDuplexStream<Obj, Obj>) {
      call.on('data', (m: Obj) => {
        if (m.request_headers) {
          seen.push({ grpcMetadata: call.metadata.getMap(), attributes: m.attributes });
          const headers = m.request_headers.headers?.headers ?? [];
          const pick = headers.find((h: Obj) => h.key === 'x-pick');
          const value = pick ? Buffer.from(pick.raw_value).toString() : undefined;
          const header_mutation = value
            ? { set_headers: [{ header: { key: 'x-llm-backend', raw_value: Buffer.from(value) } }] }
            : { remove_headers: ['x-llm-backend'] };
          call.write({ request_headers: { response: { header_mutation, clear_route_cache: true } } });
        } else if (m.request_body) {
          call.write({ request_body: { response: {} } });
        } else if (m.response_headers) {
          call.write({ response_headers: { response: {} } });
        } else if (m.response_body) {
          const done = m.response_body.end_of_stream;
          call.write({
            response_body: { response: {} },
            ...(done ? { dynamic_metadata: { fields: { llm_extproc: struct({ backend: str('local'), total_tokens: num(42) }) } } } : {}),
          });
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, seen, stop: () => server.forceShutdown() };
}

describe.skipIf(skipRealEnvoy)('startEnvoy (real Envoy)', () => {
  it('starts on port 0, reports bound ports, fails closed without a processor, and stops', async () => {
    const cfg = parseConfigText(`
ports: { envoy: 0, envoyAdmin: 0 }
backends:
  local: { provider: openai, endpoint: "http://127.0.0.1:9" }
`);
    const bootstrapYaml = generateBootstrap(cfg, { processor: { host: '127.0.0.1', port: await freePort() }, listenAddress: '127.0.0.1' });
    const envoy = await startEnvoy({ bootstrapYaml, envoy: theEnvoy(), stdout: 'ignore', concurrency: 1 });
    try {
      expect(envoy.listenerPort).toBeGreaterThan(0);
      expect(envoy.listenerPorts).toEqual({ llm_gateway: envoy.listenerPort });
      expect(await (await fetch(`${envoy.adminUrl}/ready`)).text()).toMatch(/LIVE/);
      // No processor: the request must not reach any backend, and says so in the client's shape.
      const res = await fetch(`http://127.0.0.1:${envoy.listenerPort}/v1/models`, { headers: { 'x-llm-backend': 'local' } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('processor_unavailable');
    } finally {
      await envoy.stop();
    }
    const exit = await envoy.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    await expect(fetch(`${envoy.adminUrl}/ready`)).rejects.toThrow();
  });

  it('fails with Envoy stderr in the message when the bootstrap is bad', async () => {
    const bad = stringify({ static_resources: { clusters: [{ name: 'x', type: 'NOT_A_TYPE' }] } });
    const err = await startEnvoy({ bootstrapYaml: bad, envoy: theEnvoy(), stdout: 'ignore' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exited before it was ready/);
    expect((err as Error).message).toMatch(/NOT_A_TYPE/);
  });

  it('refuses a missing binary with a clear error', async () => {
    const err = await startEnvoy({ bootstrapYaml: '{}', envoy: { kind: 'binary', path: '/nonexistent/envoy', source: 'test' } }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/could not start Envoy at \/nonexistent\/envoy/);
  });
});

describe.skipIf(skipRealEnvoy)('generated bootstrap in a real Envoy', () => {
  let envoy: RunningEnvoy;
  let proc: Awaited<ReturnType<typeof scriptedProcessor>>;
  let backend: http.Server;
  const accessLog: string[] = [];
  let base = '';

  beforeAll(async () => {
    proc = await scriptedProcessor();
    backend = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ path: req.url, backendHeader: req.headers['x-llm-backend'] }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const cfg = parseConfigText(`
ports: { envoy: 0, envoyAdmin: 0 }
backends:
  local: { provider: openai, endpoint: "http://127.0.0.1:${(backend.address() as AddressInfo).port}" }
`);
    const boot = buildBootstrap(cfg, { processor: { host: '127.0.0.1', port: proc.port }, listenAddress: '127.0.0.1' }) as Obj;
    // Route metadata and a per-route override on the catch-all, where requests first land.
    const vhost = boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0];
    const catchAll = vhost.routes.at(-1);
    catchAll.metadata = { filter_metadata: { llm_extproc: { backend: 'local', model: 'm-1', routeType: 'completions' } } };
    catchAll.typed_per_filter_config = {
      'envoy.filters.http.ext_proc': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
        overrides: { grpc_initial_metadata: [{ key: 'x-llm-model', value: 'from-route' }] },
      },
    };
    envoy = await startEnvoy({ bootstrapYaml: stringify(boot), envoy: theEnvoy(), stdout: (c) => accessLog.push(c.toString()), concurrency: 1 });
    base = `http://127.0.0.1:${envoy.listenerPort}`;
  });

  afterAll(async () => {
    await envoy?.stop();
    proc?.stop();
    backend?.close();
  });

  const post = (headers: Record<string, string>) =>
    fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"x"}' });

  it('routes to the backend the processor names in x-llm-backend', async () => {
    const res = await post({ 'x-pick': 'local' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/v1/chat/completions', backendHeader: 'local' });
  });

  it('answers the OpenAI-style 404 when the processor picks nothing, even if the client named a backend', async () => {
    for (const headers of [{}, { 'x-llm-backend': 'local' }] as Record<string, string>[]) {
      const res = await post(headers);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(((await res.json()) as Obj).error.code).toBe('backend_not_found');
    }
  });

  it('hands the processor route metadata (text format) and per-route gRPC metadata', async () => {
    await post({ 'x-pick': 'local' });
    const first = proc.seen.at(-1)!;
    expect(first.grpcMetadata['x-llm-model']).toBe('from-route');
    const attrs = first.attributes?.['envoy.filters.http.ext_proc'];
    const raw = textOf(attrs?.fields?.['xds.route_metadata']);
    expect(typeof raw).toBe('string');
    // Envoy 1.40 sends the Metadata message as one protobuf text-format string.
    expect(parseMetadataText(raw!).llm_extproc).toEqual({ backend: 'local', model: 'm-1', routeType: 'completions' });
  });

  it('writes the processor dynamic metadata into the JSON access log, flushed while running', async () => {
    await post({ 'x-pick': 'local' });
    const entries = () => accessLog.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Obj);
    // startEnvoy sets a 1 s flush interval (Envoy's default is 10 s).
    const until = Date.now() + 5000;
    while (entries().filter((l) => l.response_code === 200).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const routed = entries().filter((l) => l.response_code === 200).at(-1)!;
    expect(routed).toBeDefined();
    for (const key of METADATA_KEYS) expect((key === 'client_path' ? 'path' : key) in routed).toBe(true);
    expect(routed.backend).toBe('local');
    expect(routed.total_tokens).toBe(42);
    expect(routed.method).toBe('POST');
    expect(routed.request_id).toMatch(/[0-9a-f-]{36}/);
  });
});
