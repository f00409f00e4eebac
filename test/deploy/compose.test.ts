// docker-compose.yml, checked without a Docker engine (none runs on the test machines):
// compose-go, the loader `docker compose` itself uses, must load it; and what it resolves to
// must agree with the processor's config and the generated Envoy bootstrap — the processor
// writes the live-config files where Envoy reads them, each side reaches the other by the
// names and ports the other listens on, and the ratelimit service reads the directory the
// processor writes its descriptors into.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { packageRoot } from '../../src/envoy/find.js';

type Obj = Record<string, any>;
const ROOT = packageRoot();
const BIN = process.env.COMPOSE_CHECK_BIN ?? join(ROOT, '.tools', 'bin', 'compose-check');
const present = (() => {
  try {
    accessSync(BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();
if (!present && process.env.CI === 'true') throw new Error(`compose-check not in .tools/bin (CI=true: required; npm run setup builds it)`);
if (!present) console.warn('[test/deploy] skipping the compose test: compose-check not in .tools/bin (npm run setup builds it)');

function load(): Obj {
  const r = spawnSync(BIN, [join(ROOT, 'docker-compose.yml')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  if (r.status !== 0) throw new Error(`compose-check refused docker-compose.yml: ${r.stderr}`);
  return JSON.parse(r.stdout) as Obj;
}

/** The container path a volume (by name) or a bind (by host file) is mounted at, and whether read-only. */
const mount = (svc: Obj, source: string): Obj => (svc.volumes as Obj[]).find((v) => v.source === source || v.source === join(ROOT, source)) ?? {};

const flags = (args: string[]) =>
  parseArgs({ args, strict: false, options: { config: { type: 'string' }, 'dynamic-dir': { type: 'string' }, 'envoy-admin-url': { type: 'string' } } }).values as Record<string, string>;

describe.skipIf(!present)('docker-compose.yml', () => {
  const project = present ? load() : {};
  const s = project.services as Obj;
  const cfg = loadConfigFile(join(ROOT, 'deploy/compose/config.yaml'));
  const bootstrap = parseYaml(readFileSync(join(ROOT, 'envoy/envoy.compose.yaml'), 'utf8')) as Obj;
  const clusters = bootstrap.static_resources.clusters as Obj[];
  const endpointOf = (name: string) => clusters.find((c) => c.name === name)!.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;

  it('loads with compose-go, with the four services and both named volumes', () => {
    expect(Object.keys(s).sort()).toEqual(['envoy', 'extproc', 'ratelimit', 'redis']);
    expect(Object.keys(project.volumes).sort()).toEqual(['envoy-dynamic', 'ratelimit-config']);
    // Pinned images: Envoy is the version the tests run.
    expect(s.envoy.image).toBe('envoyproxy/envoy:v1.40.0');
  });

  it('the processor writes the live-config files into the volume Envoy reads them from, read-only, at the path the bootstrap names', () => {
    const f = flags(s.extproc.command);
    expect(s.extproc.command[0]).toBe('serve');
    expect(mount(s.extproc, 'deploy/compose/config.yaml')).toMatchObject({ target: f.config, read_only: true });
    expect(mount(s.extproc, 'envoy-dynamic').target).toBe(f['dynamic-dir']);
    expect(mount(s.envoy, 'envoy-dynamic')).toMatchObject({ target: f['dynamic-dir'], read_only: true });
    expect(bootstrap.dynamic_resources.cds_config.path_config_source.path).toBe(`${f['dynamic-dir']}/cds.yaml`);
    const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    expect(hcm.rds.config_source.path_config_source.path).toBe(`${f['dynamic-dir']}/rds.yaml`);
    // Envoy runs the generated bootstrap.
    const c = s.envoy.command as string[];
    expect(mount(s.envoy, 'envoy/envoy.compose.yaml')).toMatchObject({ target: c[c.indexOf('-c') + 1]!, read_only: true });
  });

  it('each side reaches the other by service name and the port it listens on', () => {
    const f = flags(s.extproc.command);
    // Envoy → processor: the ext_proc cluster names the service and the config's gRPC port.
    expect(endpointOf('llm_extproc')).toEqual({ address: 'extproc', port_value: cfg.file.ports.grpc });
    // Processor → Envoy admin (warming added clusters): the admin listens on every interface there.
    const admin = new URL(f['envoy-admin-url']!);
    expect(admin.hostname).toBe('envoy');
    expect(bootstrap.admin.address.socket_address).toEqual({ address: '0.0.0.0', port_value: Number(admin.port) });
    // Envoy → ratelimit service: the config's address, the service's GRPC_PORT.
    const env = s.ratelimit.environment as Obj;
    expect(cfg.file.rateLimits!.service.address).toBe(`ratelimit:${env.GRPC_PORT}`);
    expect(endpointOf('llm_ratelimit')).toEqual({ address: 'ratelimit', port_value: Number(env.GRPC_PORT) });
    expect(env.REDIS_URL).toBe(`redis:${6379}`);
    // Envoy starts once the processor is ready (its live-config files exist by then).
    expect(s.envoy.depends_on.extproc.condition).toBe('service_healthy');
    expect(s.extproc.healthcheck.test.join(' ')).toContain(`127.0.0.1:${cfg.file.ports.admin}/readyz`);
  });

  it('the ratelimit service reads the directory the processor writes its descriptor file into', () => {
    const env = s.ratelimit.environment as Obj;
    const dir = cfg.file.rateLimits!.service.configDir!;
    expect(mount(s.extproc, 'ratelimit-config').target).toBe(dir);
    expect(`${env.RUNTIME_ROOT}/${env.RUNTIME_SUBDIRECTORY}/${env.RUNTIME_APPDIRECTORY}`).toBe(dir);
    expect(mount(s.ratelimit, 'ratelimit-config')).toMatchObject({ target: dir, read_only: true });
    // The processor's dotfile-then-rename must not be read half-written.
    expect(env.RUNTIME_IGNOREDOTFILES).toBe('true');
  });

  it('the image makes both volume directories its user’s, so the named volumes are writable by the processor', () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const f = flags(s.extproc.command);
    const chown = /chown 1000:1000 ([^\n]+)/.exec(docker)![1]!.split(/\s+/);
    expect(chown).toEqual(expect.arrayContaining([f['dynamic-dir'], cfg.file.rateLimits!.service.configDir!]));
    expect(docker).toMatch(/^USER 1000:1000$/m);
  });
});
