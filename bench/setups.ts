// The setups under comparison and how each is started. (b) and (c) run the processor as
// its own process from dist/ (one process per setup, so neither's garbage or JIT state
// bleeds into the other's CPU figure) behind an Envoy whose bootstrap is the one the CLI
// ships (`llm-extproc envoy-config`). (a) is that same bootstrap with the ext_proc filter
// and the processor cluster removed and one route to the upstream: same listener buffer
// limit, stream/idle timeouts, cluster settings and access log. (p) selects a pool of two
// members (both the same upstream), so each request also goes through the pool cluster's
// upstream filter: one more ext_proc stream per attempt. (l) is (c) with a request and a token
// rate limit in force, against a real ratelimit service and Redis started for the run: the
// cost of the check before each request and the charge after it. Every Envoy gets ONE worker.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import type { FoundEnvoy } from '../src/envoy/find.js';
import { type RunningEnvoy, startEnvoy } from '../src/envoy/launcher.js';
import { startLocalLimits } from '../src/ratelimit/local.js';
import { type ProcessorProcess, type Reaper, startProcessorProcess } from './children.js';
import { BENCH_KEY, type BodyShape, CHAT_PATH, chatRequestBody, COMPLETION_SHAPE, LONG_STREAM_MODEL, REQUEST_BODY_BYTES, STREAM_SHAPE } from './fixtures.js';

const run = promisify(execFile);

export type SetupId = 'a' | 'a-sse' | 'a-sse-long' | 'b' | 'c-plain' | 'c-sse' | 'c-sse-long' | 'p-plain' | 'p-sse' | 'l-plain';

export interface Target {
  id: SetupId;
  label: string;
  /** The setup whose figures this one's ratios are taken against (same response kind). */
  baseline: SetupId;
  url: string;
  body: string;
  stream: boolean;
  envoy: RunningEnvoy;
  processor?: ProcessorProcess;
  /** Processes besides Envoy and the processor whose CPU the setup adds (the ratelimit service, Redis). */
  servicePids?: number[];
  /** What every response's body must look like. */
  bodyShape: BodyShape;
}

/** Run order inside a round: interleaved so machine noise hits every setup alike. */
export const SETUP_ORDER: SetupId[] = ['a', 'a-sse', 'a-sse-long', 'b', 'c-plain', 'c-sse', 'c-sse-long', 'p-plain', 'p-sse', 'l-plain'];

const ENVOY_WORKERS = 1;
const BACKEND = 'bench';
const EXT_PROC_FILTER = 'envoy.filters.http.ext_proc';

type Obj = Record<string, any>;

function processorConfig(upstreamUrl: string, routes: Record<string, 'completions' | 'passthrough'>): Obj {
  return {
    defaultBackend: BACKEND,
    backends: {
      [BACKEND]: { provider: 'openai', endpoint: upstreamUrl, authToken: { kind: 'Inline', inline: BENCH_KEY }, routes },
    },
  };
}

/** Setup (p): the completions backend twice, as the two priorities of a pool the default selects. */
function poolConfig(upstreamUrl: string): Obj {
  const c = processorConfig(upstreamUrl, { [CHAT_PATH]: 'completions', '*': 'passthrough' });
  c.backends.fallback = { ...c.backends[BACKEND] };
  c.pools = { benchpool: { backends: [{ backend: BACKEND, priority: 0 }, { backend: 'fallback', priority: 1 }] } };
  c.defaultBackend = 'benchpool';
  return c;
}

/** Setup (l): (c) with limits no request reaches (the ratelimit service still counts each one). */
function limitedConfig(upstreamUrl: string, service: { address: string; configDir: string }): Obj {
  const c = processorConfig(upstreamUrl, { [CHAT_PATH]: 'completions', '*': 'passthrough' });
  c.rateLimits = { service, rules: [{ requests: { limit: 4_000_000_000, per: 'minute' } }, { tokens: { count: 'total', limit: 4_000_000_000, per: 'minute' } }] };
  return c;
}

/** The shipped bootstrap for this processor, bound to 127.0.0.1 with OS-chosen ports. */
async function shippedBootstrap(bin: string, configPath: string, grpcPort: number): Promise<Obj> {
  const { stdout } = await run(process.execPath, [
    bin, 'envoy-config', '--config', configPath,
    '--processor-address', `127.0.0.1:${grpcPort}`,
    '--port', '0', '--envoy-admin-port', '0',
    // Every setup logs each request the same way; /dev/null keeps the cost, not the file.
    '--access-log', '/dev/null',
  ]);
  const b = parseYaml(stdout) as Obj;
  const listeners = b.static_resources?.listeners as Obj[] | undefined;
  if (!listeners?.length) throw new Error('envoy-config printed a bootstrap without listeners');
  for (const l of listeners) l.address.socket_address.address = '127.0.0.1';
  return b;
}

function hcmOf(b: Obj): Obj {
  const hcm = b.static_resources.listeners[0]?.filter_chains?.[0]?.filters?.[0]?.typed_config as Obj | undefined;
  if (!hcm?.http_filters || !hcm.route_config) throw new Error('bootstrap layout changed: no http_connection_manager on the first listener');
  return hcm;
}

/** Setup (a): the shipped bootstrap minus ext_proc, every request routed to the upstream. */
export function envoyAloneBootstrap(shipped: Obj): Obj {
  const b = structuredClone(shipped);
  const hcm = hcmOf(b);
  const filters = hcm.http_filters as Obj[];
  const extProc = filters.find((f) => f.name === EXT_PROC_FILTER);
  if (!extProc) throw new Error(`bootstrap layout changed: no ${EXT_PROC_FILTER} filter`);
  hcm.http_filters = filters.filter((f) => f !== extProc);
  const processorCluster = extProc.typed_config?.grpc_service?.envoy_grpc?.cluster_name as string | undefined;
  b.static_resources.clusters = (b.static_resources.clusters as Obj[]).filter((c) => c.name !== processorCluster);
  const vhost = hcm.route_config.virtual_hosts[0] as Obj;
  const backendRoute = (vhost.routes as Obj[]).find((r) => r.route?.cluster);
  if (!backendRoute) throw new Error('bootstrap layout changed: no route to a backend cluster');
  // Same cluster, timeouts and idle timeout as the backend's route; only the header match goes.
  vhost.routes = [{ name: 'upstream', match: { prefix: '/' }, route: backendRoute.route }];
  return b;
}

export interface StartedSetups {
  targets: Target[];
  envoys: { id: string; envoy: RunningEnvoy }[];
  processors: { id: string; processor: ProcessorProcess }[];
}

async function envoyFor(reaper: Reaper, id: string, bootstrap: Obj, envoy: FoundEnvoy): Promise<RunningEnvoy> {
  const running = await startEnvoy({ bootstrapYaml: stringify(bootstrap), concurrency: ENVOY_WORKERS, stdout: 'ignore', logLevel: 'warn', envoy });
  reaper.add(`envoy ${id}`, () => running.stop());
  return running;
}

export async function startSetups(reaper: Reaper, o: { bin: string; tmp: string; upstreamUrl: string; envoy: FoundEnvoy }): Promise<StartedSetups> {
  const processors: StartedSetups['processors'] = [];
  const bootstraps: Record<string, Obj> = {};
  const limits = await startLocalLimits();
  reaper.add('ratelimit service and Redis', () => limits.stop());
  const configs = {
    b: processorConfig(o.upstreamUrl, { '*': 'passthrough' }),
    c: processorConfig(o.upstreamUrl, { [CHAT_PATH]: 'completions', '*': 'passthrough' }),
    p: poolConfig(o.upstreamUrl),
    l: limitedConfig(o.upstreamUrl, { address: limits.ratelimit.grpcAddress, configDir: limits.ratelimit.configDir }),
  };
  for (const [id, cfg] of Object.entries(configs)) {
    const path = join(o.tmp, `processor-${id}.yaml`);
    await writeFile(path, stringify(cfg));
    const processor = await startProcessorProcess(reaper, id, o.bin, path);
    processors.push({ id, processor });
    bootstraps[id] = await shippedBootstrap(o.bin, path, processor.grpcPort);
  }
  bootstraps.a = envoyAloneBootstrap(bootstraps.b!);
  const envoys: StartedSetups['envoys'] = [];
  for (const id of ['a', 'b', 'c', 'p', 'l']) {
    envoys.push({ id, envoy: await envoyFor(reaper, id, bootstraps[id]!, o.envoy) });
  }
  const envoyOf = (id: string) => envoys.find((e) => e.id === id)!.envoy;
  const processorOf = (id: string) => processors.find((p) => p.id === id)!.processor;
  const url = (e: RunningEnvoy) => `http://127.0.0.1:${e.listenerPort}${CHAT_PATH}`;
  const plain = { body: chatRequestBody(false), stream: false, bodyShape: COMPLETION_SHAPE };
  const sse = { body: chatRequestBody(true), stream: true, bodyShape: STREAM_SHAPE };
  const sseLong = { ...sse, body: chatRequestBody(true, REQUEST_BODY_BYTES, LONG_STREAM_MODEL) };
  const targets: Target[] = [
    { id: 'a', label: 'Envoy alone, plain', baseline: 'a', url: url(envoyOf('a')), envoy: envoyOf('a'), ...plain },
    { id: 'a-sse', label: 'Envoy alone, SSE', baseline: 'a-sse', url: url(envoyOf('a')), envoy: envoyOf('a'), ...sse },
    { id: 'a-sse-long', label: 'Envoy alone, SSE 200 chunks', baseline: 'a-sse-long', url: url(envoyOf('a')), envoy: envoyOf('a'), ...sseLong },
    { id: 'b', label: 'ext_proc passthrough, plain', baseline: 'a', url: url(envoyOf('b')), envoy: envoyOf('b'), processor: processorOf('b'), ...plain },
    { id: 'c-plain', label: 'ext_proc completions, plain', baseline: 'a', url: url(envoyOf('c')), envoy: envoyOf('c'), processor: processorOf('c'), ...plain },
    { id: 'c-sse', label: 'ext_proc completions, SSE', baseline: 'a-sse', url: url(envoyOf('c')), envoy: envoyOf('c'), processor: processorOf('c'), ...sse },
    { id: 'c-sse-long', label: 'ext_proc completions, SSE 200 chunks', baseline: 'a-sse-long', url: url(envoyOf('c')), envoy: envoyOf('c'), processor: processorOf('c'), ...sseLong },
    { id: 'p-plain', label: 'ext_proc completions through a pool, plain', baseline: 'a', url: url(envoyOf('p')), envoy: envoyOf('p'), processor: processorOf('p'), ...plain },
    { id: 'p-sse', label: 'ext_proc completions through a pool, SSE', baseline: 'a-sse', url: url(envoyOf('p')), envoy: envoyOf('p'), processor: processorOf('p'), ...sse },
    { id: 'l-plain', label: 'ext_proc completions with rate limits, plain', baseline: 'a', url: url(envoyOf('l')), envoy: envoyOf('l'), processor: processorOf('l'), servicePids: [limits.ratelimit.pid, limits.redis.pid], ...plain },
  ];
  return { targets, envoys, processors };
}
