// Live config for Envoy: the backend and pool clusters (CDS) and the route table (RDS) as
// files in a directory Envoy watches. Each file is written whole and renamed into place, and
// a change is written in the order that never routes to a cluster Envoy lacks: first every
// cluster old and new (added ones warmed), then the routes, then the clusters without the
// removed ones.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { RuntimeConfig } from '../config/compile.js';
import { logger } from '../logger.js';
import { backendClusterNames, routeConfig, upstreamClusters } from './bootstrap.js';
import { DEFAULT_CA_FILE } from './clusters.js';
import { CDS_FILE, RDS_FILE } from './dynamic-sources.js';

type Obj = Record<string, unknown>;

const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ROUTES_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

export interface DynamicResources {
  /** By cluster name. */
  clusters: Map<string, Obj>;
  routes: Obj;
}

export function dynamicResources(cfg: RuntimeConfig, caFile = DEFAULT_CA_FILE): DynamicResources {
  const names = backendClusterNames(cfg.backends.keys(), cfg.pools.keys());
  const clusters = new Map(upstreamClusters(cfg, names, caFile).map((c) => [c.name as string, c]));
  return { clusters, routes: routeConfig(cfg, names) };
}

/** A file as path-based xDS reads it: a DiscoveryResponse's resources, each with its type. */
function discoveryFile(type: string, resources: Obj[]): string {
  return stringify({ resources: resources.map((r) => ({ '@type': type, ...r })) }, { lineWidth: 0 });
}

export function cdsText(clusters: Iterable<Obj>): string {
  return discoveryFile(CLUSTER_TYPE, [...clusters]);
}

export function rdsText(routes: Obj): string {
  return discoveryFile(ROUTES_TYPE, [routes]);
}

/** Whole file or none: Envoy reacts to the rename into its watched directory. */
export function writeAtomically(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

/** The resources of a file written by discoveryFile, without their types; undefined when absent or unreadable. */
function readDiscoveryFile(dir: string, file: string): Obj[] | undefined {
  try {
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as { resources?: Obj[] } | null;
    if (!Array.isArray(doc?.resources)) return undefined;
    return doc.resources.map(({ '@type': _type, ...r }) => r);
  } catch {
    return undefined;
  }
}

/** What the directory holds already (both files), as the writer's previous state. */
export function readDynamicFiles(dir: string): DynamicResources | undefined {
  const clusters = readDiscoveryFile(dir, CDS_FILE);
  const routes = readDiscoveryFile(dir, RDS_FILE)?.[0];
  if (!clusters || !routes) return undefined;
  return { clusters: new Map(clusters.map((c) => [c.name as string, c])), routes };
}

/** Both files at once: for an Envoy that is not running yet (start, `envoy-config`). */
export function writeDynamicFiles(dir: string, res: DynamicResources): void {
  mkdirSync(dir, { recursive: true });
  writeAtomically(dir, CDS_FILE, cdsText(res.clusters.values()));
  writeAtomically(dir, RDS_FILE, rdsText(res.routes));
}

export interface DynamicWriterOptions {
  dir: string;
  caFile?: string;
  /**
   * Envoy's admin URL, when known: added clusters are awaited in its /clusters before the
   * routes that name them are written. Without it the writer waits `settleMs` instead.
   */
  adminUrl?: string;
  /** Pause between steps without an admin URL (file event + cluster warm-up), and after routes before removing clusters. */
  settleMs?: number;
  /** Longest wait for added clusters to show in Envoy's admin. */
  warmTimeoutMs?: number;
  /** How a file lands in the directory; default writeAtomically (tests watch the order). */
  write?: (dir: string, file: string, text: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes each config's clusters and routes in a safe order, one change at a time. */
export class DynamicWriter {
  private written: DynamicResources | undefined;
  private chain: Promise<void> = Promise.resolve();
  private adminUrl: string | undefined;

  constructor(private readonly opts: DynamicWriterOptions) {
    this.adminUrl = opts.adminUrl;
  }

  /** `up` learns Envoy's admin address after the processor (and this writer) started. */
  setAdminUrl(url: string): void {
    this.adminUrl = url;
  }

  /**
   * The files for the first config. With none there yet, both at once, before Envoy reads
   * them. Files already there may be what a running Envoy has (the processor restarted beside
   * it, with a config changed meanwhile) or what an init container just wrote: they are the
   * previous state, and a difference from them takes the ordered steps, so a route never
   * names a cluster Envoy lacks. Resolves when written.
   */
  writeInitial(cfg: RuntimeConfig): Promise<void> {
    const existing = readDynamicFiles(this.opts.dir);
    if (!existing) {
      const res = dynamicResources(cfg, this.opts.caFile);
      writeDynamicFiles(this.opts.dir, res);
      this.written = res;
      return Promise.resolve();
    }
    this.written = existing;
    return this.apply(cfg);
  }

  /** Queues a reloaded config; resolves when its files are all written. Never rejects. */
  apply(cfg: RuntimeConfig): Promise<void> {
    const next = this.chain.then(() => this.step(dynamicResources(cfg, this.opts.caFile)));
    this.chain = next.catch((err: unknown) => logger.error({ err, dir: this.opts.dir }, 'writing Envoy clusters and routes failed; Envoy keeps its last ones'));
    return this.chain;
  }

  private async step(res: DynamicResources): Promise<void> {
    const prev = this.written ?? { clusters: new Map<string, Obj>(), routes: {} };
    const { dir } = this.opts;
    const write = this.opts.write ?? writeAtomically;
    const same = (a: Obj | undefined, b: Obj) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);
    const added = [...res.clusters.keys()].filter((n) => !prev.clusters.has(n));
    const changed = [...res.clusters].some(([n, c]) => !same(prev.clusters.get(n), c));
    const removed = [...prev.clusters.keys()].filter((n) => !res.clusters.has(n));
    mkdirSync(dir, { recursive: true });
    if (changed) {
      // Old clusters stay while routes may still name them.
      const union = new Map([...prev.clusters, ...res.clusters]);
      write(dir, CDS_FILE, cdsText(union.values()));
      await this.clustersReady(added);
    }
    const routes = !same(prev.routes, res.routes);
    if (routes) {
      write(dir, RDS_FILE, rdsText(res.routes));
      if (removed.length) await sleep(this.opts.settleMs ?? 1000);
    }
    if (removed.length) write(dir, CDS_FILE, cdsText(res.clusters.values()));
    this.written = res;
    if (changed || removed.length || routes) logger.info({ dir, added, removed, routes }, 'wrote Envoy clusters and routes');
  }

  private async clustersReady(names: string[]): Promise<void> {
    if (!names.length) return;
    if (!this.adminUrl) return sleep(this.opts.settleMs ?? 1000);
    const deadline = Date.now() + (this.opts.warmTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      const known = await activeClusters(this.adminUrl).catch(() => undefined);
      if (known && names.every((n) => known.has(n))) return;
      await sleep(50);
    }
    logger.warn({ clusters: names }, 'Envoy did not show the added clusters in time; writing the routes anyway');
  }
}

/** Clusters Envoy has warmed (its admin /clusters lists only those). */
async function activeClusters(adminUrl: string): Promise<Set<string>> {
  const res = await fetch(`${adminUrl}/clusters?format=json`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { cluster_statuses?: { name: string }[] };
  return new Set((body.cluster_statuses ?? []).map((c) => c.name));
}
