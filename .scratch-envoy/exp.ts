// scratch: not part of the project
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import http from 'node:http';
import { parseConfigText } from '../src/config/load.js';
import { buildBootstrap } from '../src/envoy/bootstrap.js';
import { startEnvoy } from '../src/envoy/launcher.js';
import { stringify } from 'yaml';

const def = loader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', { includeDirs: ['proto'], keepCase: true, oneofs: true, longs: String, defaults: false });
const pkg = grpc.loadPackageDefinition(def) as any;
const svc = pkg.envoy.service.ext_proc.v3.ExternalProcessor.service;
const server = new grpc.Server();
const seen: any[] = [];
server.addService(svc, {
  Process(call: any) {
    call.on('data', (m: any) => {
      seen.push(m);
      if (m.request_headers) {
        const hdrs = Object.fromEntries(m.request_headers.headers.headers.map((h: any) => [h.key, Buffer.from(h.raw_value).toString()]));
        const pick = hdrs['x-pick'];
        const set = pick ? [{ header: { key: 'x-llm-backend', raw_value: Buffer.from(pick) } }] : [];
        call.write({ request_headers: { response: { header_mutation: { set_headers: set, remove_headers: pick ? [] : ['x-llm-backend'] }, clear_route_cache: true } } });
      } else if (m.request_body) call.write({ request_body: { response: {} } });
      else if (m.response_headers) call.write({ response_headers: { response: {} } });
      else if (m.response_body) {
        call.write({ response_body: { response: {} }, ...(m.response_body.end_of_stream ? { dynamic_metadata: { fields: { llm_extproc: { struct_value: { fields: { backend: { string_value: 'local' }, total_tokens: { number_value: 42 }, tokens_estimated: { bool_value: false } } } } } } } : {}) });
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
});
const grpcPort: number = await new Promise((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
const backend = http.createServer((req, res) => { let b=''; req.on('data', c=>b+=c); req.on('end', () => { res.setHeader('content-type','application/json'); res.end(JSON.stringify({ path: req.url, host: req.headers.host, hdr: req.headers['x-llm-backend'], len: b.length })); }); });
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const bport = (backend.address() as any).port;
const cfg = parseConfigText(`
ports: { envoy: 0, envoyAdmin: 0, grpc: 0 }
backends:
  local: { provider: openai, endpoint: "http://127.0.0.1:${bport}" }
`);
const boot: any = buildBootstrap(cfg, { processor: { host: '127.0.0.1', port: grpcPort } });
if (process.env.ROUTE_META) {
  const vh = boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0];
  vh.routes[0].metadata = { filter_metadata: { llm_extproc: { backend: 'local', model: 'm1' } } };
  vh.routes.at(-1).metadata = { filter_metadata: { llm_extproc: { backend: 'catchall' } } };
}
if (process.env.ATTR) boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.request_attributes = process.env.ATTR.split(',');
if (process.env.GRPC_TIMEOUT) boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.grpc_service.timeout = process.env.GRPC_TIMEOUT;
const logs: string[] = [];
const envoy = await startEnvoy({ bootstrapYaml: stringify(boot), stdout: (c) => logs.push(c.toString()), concurrency: 1 });
console.log('admin', envoy.adminUrl, 'listener', envoy.listenerPort, envoy.listenerPorts);
const base = `http://127.0.0.1:${envoy.listenerPort}`;
for (const [name, headers] of [['pick local', { 'x-pick': 'local' }], ['pick + route meta', { 'x-pick': 'local', 'x-llm-backend': 'local' }], ['nothing', {}], ['client header only', { 'x-llm-backend': 'local' }]] as const) {
  const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"x"}' });
  console.log(name, r.status, r.headers.get('content-type'), await r.text());
}
if (process.env.SLOW) {
  // stream longer than grpc timeout
}
await new Promise((r) => setTimeout(r, 1500));
console.log('kinds', seen.map((m) => m.request + (m.response_body ? ':' + m.response_body.end_of_stream + ':' + m.response_body.body?.length : '')).join(' '));
console.log('attributes of first:', JSON.stringify(seen.find((m) => m.request_headers)?.attributes, null, 1));
console.log('ACCESS LOG:\n' + logs.join(''));
await envoy.stop();
server.forceShutdown(); backend.close();
