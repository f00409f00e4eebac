// Envoy Gateway's own translator, as a test tool: `egctl experimental translate` (built by
// `npm run setup` into .tools/bin at the Envoy Gateway version the CRD schemas come from)
// turns Gateway API and Envoy Gateway objects into the xDS that Envoy Gateway would serve its
// proxies, with no cluster and no controller running. With CI=true a missing egctl fails the
// tests, like helm and kubeconform (tools.ts).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../../src/envoy/find.js';
import { type Manifest, requireTools, skipHelm } from './tools.js';

function executable(path: string): string | undefined {
  try {
    // A directory passes the X_OK check too.
    accessSync(path, constants.X_OK);
    if (!statSync(path).isFile()) return undefined;
    return path;
  } catch {
    return undefined;
  }
}

export const egctl = executable(process.env.EGCTL_BIN ?? join(packageRoot(), '.tools', 'bin', 'egctl'));
export const skipEgctl = skipHelm || (!egctl && !requireTools);
if (!egctl && !requireTools) console.warn('[test/helm] skipping Envoy Gateway translation tests: egctl not in .tools/bin (npm run setup builds it)');

/** Envoy Gateway's controller name: a GatewayClass naming another controller is ignored by the translator. */
export const EG_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

/** A GatewayClass and a Gateway with one plain-HTTP listener that admits routes from every namespace. */
export function gatewayFor(name: string, namespace: string, port = 80): Manifest[] {
  return [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'eg' }, spec: { controllerName: EG_CONTROLLER } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace },
      spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', protocol: 'HTTP', port, allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
  ];
}

/** An Envoy admin config dump as protojson renders it (`@type` on every entry). */
export type ConfigDump = { configs: Array<Record<string, any>> };

export interface Translation {
  /** The xDS of the one Gateway: listeners, routes, clusters, endpoints, secrets, as a config dump. */
  xds: ConfigDump;
  /** The input objects with the status Envoy Gateway's translator gave them (Accepted, ResolvedRefs…). */
  resources: Record<string, Manifest[]>;
}

/**
 * `egctl experimental translate --from gateway-api --to gateway-api,xds -t all` over these
 * objects. `--add-missing-resources` only fills what a cluster would: a ClusterIP for a Service
 * that has none (helm renders none; the API server assigns it) and a default EnvoyProxy.
 */
export function egTranslate(manifests: Manifest[]): Translation {
  if (!egctl) throw new Error('egctl not found in .tools/bin (CI=true: required; npm run setup builds it)');
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-egctl-'));
  const file = join(dir, 'input.yaml');
  writeFileSync(file, manifests.map((m) => stringify(m)).join('---\n'));
  const r = spawnSync(egctl, ['experimental', 'translate', '--from', 'gateway-api', '--to', 'gateway-api,xds', '-t', 'all', '-o', 'json', '--add-missing-resources', '-f', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`egctl translate failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
  const out = JSON.parse(r.stdout) as { xds?: Record<string, ConfigDump>; [kind: string]: unknown };
  const keys = Object.keys(out.xds ?? {});
  if (keys.length !== 1) throw new Error(`expected the xDS of one Gateway, got ${keys.length} (${keys.join(', ')}): ${r.stderr}`);
  const { xds: _xds, ...resources } = out;
  return { xds: out.xds![keys[0]!]!, resources: resources as Record<string, Manifest[]> };
}

/** Every condition of every status in the translation whose status is not "True", by object. */
export function falseConditions(t: Translation): string[] {
  const bad: string[] = [];
  const visit = (where: string, conds: unknown) => {
    for (const c of (conds as Array<{ type: string; status: string; message?: string }> | undefined) ?? []) {
      if (c.status !== 'True') bad.push(`${where}: ${c.type}=${c.status} ${c.message ?? ''}`);
    }
  };
  for (const [kind, list] of Object.entries(t.resources)) {
    if (!Array.isArray(list)) continue;
    for (const m of list as Manifest[]) {
      const where = `${kind} ${m.metadata?.namespace ?? ''}/${m.metadata?.name ?? ''}`;
      const status = m.status ?? {};
      visit(where, status.conditions);
      for (const p of status.parents ?? []) visit(`${where} (parent ${p.parentRef?.name})`, p.conditions);
      for (const a of status.ancestors ?? []) visit(`${where} (ancestor ${a.ancestorRef?.name})`, a.conditions);
      for (const l of status.listeners ?? []) visit(`${where} listener ${l.name}`, l.conditions);
    }
  }
  return bad;
}
