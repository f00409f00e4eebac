// Live config files: the bootstrap that reads clusters and routes from a watched directory,
// the CDS/RDS files themselves (real `envoy --mode validate` on the pair), and the order a
// reload writes them in.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { parseConfigObject } from '../../src/config/load.js';
import { buildBootstrap, PROCESSOR_CLUSTER } from '../../src/envoy/bootstrap.js';
import { DynamicWriter, dynamicResources, writeDynamicFiles } from '../../src/envoy/dynamic.js';
import { validateBootstrap } from '../../src/envoy/launcher.js';
import { skipRealEnvoy, theEnvoy } from './available.js';

type Obj = Record<string, any>;

const be = (port: number) => ({ provider: 'openai', endpoint: `http://127.0.0.1:${port}` });
const cfgOf = (backends: Record<string, unknown>, extra: Obj = {}) => parseConfigObject({ backends, ...extra });
const POOLED = {
  backends: { a: be(1001), b: be(1002) },
  pools: { both: { backends: [{ backend: 'a' }, { backend: 'b', priority: 1 }] } },
};

describe('bootstrap with a dynamic directory', () => {
  const cfg = cfgOf(POOLED.backends, { pools: POOLED.pools });
  const b = buildBootstrap(cfg, { processor: { host: '127.0.0.1', port: 50051 }, dynamicDir: '/srv/envoy' }) as Obj;
  const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

  it('keeps only the processor (and service) clusters static and reads the rest from watched files', () => {
    expect(b.static_resources.clusters.map((c: Obj) => c.name)).toEqual([PROCESSOR_CLUSTER]);
    expect(b.dynamic_resources.cds_config.path_config_source).toEqual({ path: '/srv/envoy/cds.yaml', watched_directory: { path: '/srv/envoy' } });
    expect(hcm.route_config).toBeUndefined();
    expect(hcm.rds).toEqual({ route_config_name: 'llm_routes', config_source: { resource_api_version: 'V3', path_config_source: { path: '/srv/envoy/rds.yaml', watched_directory: { path: '/srv/envoy' } } } });
    expect(b.node).toBeDefined();
  });

  it('the files hold what the static bootstrap would: the same clusters and route table', () => {
    const statics = buildBootstrap(cfg, { processor: { host: '127.0.0.1', port: 50051 } }) as Obj;
    const res = dynamicResources(cfg);
    expect([...res.clusters.values()]).toEqual(statics.static_resources.clusters.slice(1));
    expect(res.routes).toEqual(statics.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config);
  });

  it.skipIf(skipRealEnvoy)('passes envoy --mode validate with its files written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-dyn-'));
    writeDynamicFiles(dir, dynamicResources(cfg));
    const cds = parseYaml(readFileSync(join(dir, 'cds.yaml'), 'utf8')) as Obj;
    expect(cds.resources.map((r: Obj) => [r['@type'], r.name])).toEqual([
      ['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'backend_a'],
      ['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'backend_b'],
      ['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'pool_both'],
    ]);
    expect(readdirSync(dir).sort()).toEqual(['cds.yaml', 'rds.yaml']);
    const yaml = stringify(buildBootstrap(cfg, { processor: { host: '127.0.0.1', port: 50051 }, dynamicDir: dir }));
    const result = await validateBootstrap(yaml, theEnvoy());
    expect(result.output).toBe(result.ok ? result.output : '');
    expect(result.ok).toBe(true);
  }, 30_000);
});

describe('DynamicWriter', () => {
  function recorder() {
    const writes: { file: string; names: string[] }[] = [];
    const write = (_dir: string, file: string, text: string) => {
      const doc = parseYaml(text) as Obj;
      const names = file === 'cds.yaml' ? doc.resources.map((r: Obj) => r.name) : doc.resources[0].virtual_hosts[0].routes.map((r: Obj) => r.name);
      writes.push({ file, names });
    };
    return { writes, write };
  }
  const dir = () => mkdtempSync(join(tmpdir(), 'llm-extproc-dynw-'));

  it('adds: clusters (old and new) first, routes after', async () => {
    const rec = recorder();
    const w = new DynamicWriter({ dir: dir(), settleMs: 1, write: rec.write });
    w.writeInitial(cfgOf({ a: be(1) }));
    await w.apply(cfgOf({ a: be(1), b: be(2) }));
    expect(rec.writes).toEqual([
      { file: 'cds.yaml', names: ['backend_a', 'backend_b'] },
      { file: 'rds.yaml', names: ['backend-a', 'backend-b', 'no-backend'] },
    ]);
  });

  it('removes and renames: routes first, then the clusters without the old ones', async () => {
    const rec = recorder();
    const w = new DynamicWriter({ dir: dir(), settleMs: 1, write: rec.write });
    w.writeInitial(cfgOf({ a: be(1), b: be(2) }));
    await w.apply(cfgOf({ a: be(1), c: be(2) }));
    expect(rec.writes).toEqual([
      { file: 'cds.yaml', names: ['backend_a', 'backend_b', 'backend_c'] },
      { file: 'rds.yaml', names: ['backend-a', 'backend-c', 'no-backend'] },
      { file: 'cds.yaml', names: ['backend_a', 'backend_c'] },
    ]);
  });

  it('a reload that changes nothing Envoy sees writes nothing; changes are applied one at a time', async () => {
    const rec = recorder();
    const w = new DynamicWriter({ dir: dir(), settleMs: 1, write: rec.write });
    w.writeInitial(cfgOf({ a: be(1) }));
    await w.apply(cfgOf({ a: be(1) }, { selectorHeader: 'x-other' }));
    expect(rec.writes).toEqual([]);
    void w.apply(cfgOf({ a: be(1), b: be(2) }));
    await w.apply(cfgOf({ b: be(2) }));
    expect(rec.writes.map((x) => x.file)).toEqual(['cds.yaml', 'rds.yaml', 'rds.yaml', 'cds.yaml']);
    expect(rec.writes.at(-1)!.names).toEqual(['backend_b']);
  });

  it('a changed cluster (new endpoint) is rewritten before the routes, nothing removed', async () => {
    const rec = recorder();
    const w = new DynamicWriter({ dir: dir(), settleMs: 1, write: rec.write });
    w.writeInitial(cfgOf({ a: be(1) }));
    await w.apply(cfgOf({ a: be(9) }));
    expect(rec.writes).toEqual([{ file: 'cds.yaml', names: ['backend_a'] }]);
  });

  it('files already there are the previous state: the same config writes nothing, a changed one takes the ordered steps', async () => {
    const d = dir();
    // What a running Envoy has (an earlier processor wrote it, with pools and rate limit rules).
    const before = cfgOf({ a: be(1), b: be(2) }, { pools: { both: { backends: [{ backend: 'a' }, { backend: 'b', priority: 1 }] } }, rateLimits: { rules: [{ requests: { limit: 1, per: 'second' } }] } });
    writeDynamicFiles(d, dynamicResources(before));
    const same = recorder();
    await new DynamicWriter({ dir: d, settleMs: 1, write: same.write }).writeInitial(before);
    expect(same.writes).toEqual([]);
    // The processor restarted with b renamed to c: never a route before its cluster.
    const rec = recorder();
    await new DynamicWriter({ dir: d, settleMs: 1, write: rec.write }).writeInitial(cfgOf({ a: be(1), c: be(2) }));
    expect(rec.writes).toEqual([
      { file: 'cds.yaml', names: ['backend_a', 'backend_b', 'pool_both', 'backend_c'] },
      { file: 'rds.yaml', names: ['backend-a', 'backend-c', 'no-backend'] },
      { file: 'cds.yaml', names: ['backend_a', 'backend_c'] },
    ]);
  });

  it('an unreadable file there is replaced whole, both files at once', async () => {
    const d = dir();
    writeFileSync(join(d, 'cds.yaml'), 'resources: [');
    await new DynamicWriter({ dir: d, settleMs: 1 }).writeInitial(cfgOf({ a: be(1) }));
    expect((parseYaml(readFileSync(join(d, 'cds.yaml'), 'utf8')) as Obj).resources.map((r: Obj) => r.name)).toEqual(['backend_a']);
    expect(readdirSync(d).sort()).toEqual(['cds.yaml', 'rds.yaml']);
  });

  it('writes whole files by renaming, leaving no temporary file behind', () => {
    const d = dir();
    new DynamicWriter({ dir: d }).writeInitial(cfgOf({ a: be(1) }));
    expect(readdirSync(d).sort()).toEqual(['cds.yaml', 'rds.yaml']);
  });
});
