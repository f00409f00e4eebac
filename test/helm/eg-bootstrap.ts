// Envoy Gateway's xDS (an `egctl translate` config dump) as one static Envoy bootstrap, so a
// real Envoy can serve exactly what Envoy Gateway would send its proxies, with no control
// plane. What is rewritten, and nothing else:
//
// - addresses: every listener binds 127.0.0.1 on a free port (EG's 0.0.0.0:10080 and friends
//   would collide between runs and need no privileges here); every upstream endpoint maps to a
//   local address given by the test (the processor Service's ClusterIP → the processor on
//   loopback; each Backend's FQDN → its fake upstream). An endpoint without a mapping throws:
//   nothing may resolve to a real host;
// - delivery, not content: each HTTP connection manager's `rds` becomes the dumped route
//   configuration of that name, inline; each EDS cluster becomes STATIC with the dumped
//   ClusterLoadAssignment as its `load_assignment` (addresses mapped as above);
// - the bootstrap's xDS plumbing, which needs Envoy Gateway's control plane: `dynamic_resources`
//   (ADS), the `xds_cluster` (mTLS to envoy-gateway:18000 with certificates from its Secret),
//   the EDS-fed `local_cluster` and the `cluster_manager.local_cluster_name` naming it, and
//   EG's bootstrap stats listener and its `prometheus_stats` cluster (fixed port 19001);
// - access logs: EG's file loggers write to /dev/stdout, which Envoy cannot open when its
//   stdout is a socket (a Node child's pipe is one); they write to `accessLogPath` instead.
//
// Everything else is EG's output as dumped: listener filter chains, the HTTP filters (the
// ext_proc filter as EG configures it, disabled on the listener and enabled per route),
// routes with their matches, host rewrites and typed_per_filter_config, clusters with their
// type, load balancing, buffer limits, protocol options and localities, and the bootstrap's
// runtime, overload manager and stats settings. protojson's camelCase field names are kept:
// Envoy's JSON/YAML loader reads them as it reads snake_case.
import type { ConfigDump } from './egctl.js';

type Obj = Record<string, any>;

export interface StaticBootstrap {
  bootstrap: Obj;
  /** One line per rewrite made, for the test's log and assertions. */
  rewrites: string[];
}

/** `host:port` as dumped → where it is served here. */
export type AddressMap = Record<string, { address: string; port: number }>;

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const EG_ONLY_CLUSTERS = new Set(['xds_cluster', 'local_cluster', 'prometheus_stats']);

function section(dump: ConfigDump, type: string): Obj {
  const found = dump.configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`);
  if (!found) throw new Error(`the config dump has no ${type}`);
  return found;
}

/** The dumped listeners, route configurations, clusters and endpoints. */
export function xdsResources(dump: ConfigDump): { listeners: Obj[]; routes: Map<string, Obj>; clusters: Obj[]; endpoints: Map<string, Obj>; bootstrap: Obj } {
  const listeners = (section(dump, 'ListenersConfigDump').dynamicListeners ?? []).map((l: Obj) => l.activeState.listener);
  const routes = new Map<string, Obj>((section(dump, 'RoutesConfigDump').dynamicRouteConfigs ?? []).map((r: Obj) => [r.routeConfig.name, r.routeConfig]));
  const clusters = (section(dump, 'ClustersConfigDump').dynamicActiveClusters ?? []).map((c: Obj) => c.cluster);
  const endpoints = new Map<string, Obj>((section(dump, 'EndpointsConfigDump').dynamicEndpointConfigs ?? []).map((e: Obj) => [e.endpointConfig.clusterName, e.endpointConfig]));
  return { listeners, routes, clusters, endpoints, bootstrap: section(dump, 'BootstrapConfigDump').bootstrap };
}

function strip(o: Obj): Obj {
  const { '@type': _t, ...rest } = o;
  return rest;
}

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** Points every file access log that writes to /dev/stdout at `path`; returns how many. */
function redirectStdoutLogs(node: unknown, path: string): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + redirectStdoutLogs(x, path), 0);
  if (node === null || typeof node !== 'object') return 0;
  const o = node as Obj;
  let n = 0;
  if (o['@type'] === FILE_LOG && o.path === '/dev/stdout') {
    o.path = path;
    n++;
  }
  for (const v of Object.values(o)) n += redirectStdoutLogs(v, path);
  return n;
}

export function staticBootstrap(dump: ConfigDump, addresses: AddressMap, accessLogPath: string): StaticBootstrap {
  const rewrites: string[] = [];
  const x = xdsResources(dump);
  const unused = new Set(Object.keys(addresses));

  const mapAddress = (where: string, sa: Obj) => {
    const key = `${sa.address}:${sa.portValue}`;
    const to = addresses[key];
    if (!to) throw new Error(`${where}: endpoint ${key} has no local address (nothing may reach a real host)`);
    unused.delete(key);
    rewrites.push(`${where}: endpoint ${key} -> ${to.address}:${to.port}`);
    sa.address = to.address;
    sa.portValue = to.port;
  };
  const mapAssignment = (where: string, cla: Obj) => {
    for (const loc of cla.endpoints ?? []) for (const lb of loc.lbEndpoints ?? []) mapAddress(where, lb.endpoint.address.socketAddress);
  };

  const listeners = x.listeners.map((raw) => {
    const l = strip(structuredClone(raw));
    const sa = l.address.socketAddress;
    rewrites.push(`listener ${l.name}: ${sa.address}:${sa.portValue} -> 127.0.0.1:0`);
    sa.address = '127.0.0.1';
    sa.portValue = 0;
    for (const chain of [...(l.filterChains ?? []), ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]) {
      for (const f of chain.filters ?? []) {
        const hcm = f.typedConfig;
        if (hcm?.['@type'] !== HCM || !hcm.rds) continue;
        const rc = x.routes.get(hcm.rds.routeConfigName);
        if (!rc) throw new Error(`listener ${l.name}: route configuration ${hcm.rds.routeConfigName} is not in the dump`);
        delete hcm.rds;
        hcm.routeConfig = strip(structuredClone(rc));
        rewrites.push(`listener ${l.name}: rds ${rc.name} -> inline route_config`);
      }
    }
    return l;
  });

  const clusters = x.clusters.map((raw) => {
    const c = strip(structuredClone(raw));
    if (c.type === 'EDS') {
      const cla = x.endpoints.get(c.edsClusterConfig?.serviceName ?? c.name);
      if (!cla) throw new Error(`cluster ${c.name}: EDS without a dumped ClusterLoadAssignment`);
      delete c.edsClusterConfig;
      c.type = 'STATIC';
      c.loadAssignment = strip(structuredClone(cla));
      c.loadAssignment.clusterName = c.name;
      rewrites.push(`cluster ${c.name}: EDS -> STATIC with the dumped load assignment`);
    }
    if (c.loadAssignment) mapAssignment(`cluster ${c.name}`, c.loadAssignment);
    return c;
  });

  const b = structuredClone(x.bootstrap);
  delete b.dynamicResources;
  if (b.clusterManager) delete b.clusterManager.localClusterName;
  const keptStaticClusters = (b.staticResources?.clusters ?? []).filter((c: Obj) => !EG_ONLY_CLUSTERS.has(c.name));
  rewrites.push(`bootstrap: dropped dynamic_resources (ADS), cluster_manager.local_cluster_name, static clusters ${[...EG_ONLY_CLUSTERS].join(', ')}, and the stats listener`);
  b.admin.address.socketAddress = { address: '127.0.0.1', portValue: 0 };
  b.staticResources = { listeners, clusters: [...keptStaticClusters, ...clusters] };
  rewrites.push(`access logs: ${redirectStdoutLogs(b, accessLogPath)} file loggers from /dev/stdout to ${accessLogPath}`);
  if (unused.size) throw new Error(`addresses never used (the dump has no such endpoint): ${[...unused].join(', ')}`);
  return { bootstrap: b, rewrites };
}

/** The HTTP filter of this name in the listener's HTTP connection managers (the dumped or the static form). */
export function findFilter(listener: Obj, name: string): Obj | undefined {
  for (const chain of [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])]) {
    for (const f of chain.filters ?? []) for (const h of f.typedConfig?.httpFilters ?? []) if (h.name === name) return h;
  }
  return undefined;
}
