// Where Envoy finds the parts of its config that a processor reload may change: two files in
// one directory, read through path-based config sources. Envoy watches the directory for files
// moved into it, so a writer that renames a finished file into place is never half-read.
type Obj = Record<string, unknown>;

/** The route table's name, static or dynamic. */
export const ROUTE_CONFIG_NAME = 'llm_routes';
export const CDS_FILE = 'cds.yaml';
export const RDS_FILE = 'rds.yaml';

function pathSource(dir: string, file: string): Obj {
  return {
    resource_api_version: 'V3',
    path_config_source: { path: `${dir.replace(/\/+$/, '')}/${file}`, watched_directory: { path: dir } },
  };
}

/** The bootstrap's `dynamic_resources.cds_config`. */
export function dynamicCds(dir: string): Obj {
  return pathSource(dir, CDS_FILE);
}

/** The HCM's `rds` (routes by the name the route file's RouteConfiguration carries). */
export function dynamicRds(dir: string): Obj {
  return { route_config_name: ROUTE_CONFIG_NAME, config_source: pathSource(dir, RDS_FILE) };
}
