// Validated config -> runtime form, once per load: regexes built, templates compiled,
// secrets bound, providers looked up. Cross-references are checked here so `check`
// reports every problem with its path.
import type { z } from 'zod';
import { ClientKeys } from '../auth/clients.js';
import { secretFrom } from '../auth/secrets.js';
import type { KeyAuth } from '../auth/static-key.js';
import { providerSpec } from '../providers/registry.js';
import type { BackendRuntime, RequestAuthorizer } from '../providers/types.js';
import type { PriceRule } from '../usage/cost.js';
import { compileTemplate, templateProblems, type Template } from './templates.js';
import type { BackendConfig, ConfigFile, PoolConfig, RouteType } from './schema.js';

export interface CompiledBackend extends BackendRuntime {
  routes?: [suffix: string, type: RouteType][];
  keyAuth: KeyAuth;
  authorizer?: RequestAuthorizer;
  modelTemplate?: Template;
  hostOverride?: string;
  pathOverride?: string;
  /** What GET /v1/models lists for this backend. */
  listModels: string[];
  config: BackendConfig;
}

export interface PoolMember {
  backend: CompiledBackend;
  model?: string;
  priority: number;
  weight: number;
}

/** Backends a client selects by one name, tried by Envoy in priority order (weights within one). */
export interface CompiledPool {
  name: string;
  /** Sorted by priority; the first is the primary, whose routes and dialects the request is read with. */
  members: PoolMember[];
  config: PoolConfig;
}

export interface CompiledPathRule {
  index: number;
  prefix?: string;
  regex?: RegExp;
  backend: Template;
  model?: Template;
  deployment?: Template;
  rewrite?: Template;
  routeType?: RouteType;
}

export interface RuntimeConfig {
  selectorHeader: string | null;
  defaultBackend?: string;
  backends: ReadonlyMap<string, CompiledBackend>;
  pools: ReadonlyMap<string, CompiledPool>;
  /** Gateway keys; undefined when no clients are configured (no client authentication). */
  clients?: ClientKeys;
  /** `pricing`, in its order. */
  pricing: PriceRule[];
  paths: CompiledPathRule[];
  models: { match: string; regex: RegExp; backend: Template }[];
  maxRequestBytes: number;
  maxRequestHeaderBytes: number;
  ports: ConfigFile['ports'];
  telemetry: ConfigFile['telemetry'];
  listenHost: string;
  file: ConfigFile;
}

export class ConfigProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function parseEndpoint(url: string): Pick<BackendRuntime, 'scheme' | 'host' | 'port' | 'authority' | 'basePath'> {
  const u = new URL(url);
  const scheme = u.protocol === 'http:' ? 'http' : 'https';
  const port = u.port ? Number(u.port) : scheme === 'http' ? 80 : 443;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { scheme, host, port, authority: u.port ? `${u.hostname}:${u.port}` : u.hostname, basePath: u.pathname.replace(/\/+$/, '') };
}

export function compileBackend(name: string, cfg: BackendConfig, at: string, problems: string[]): CompiledBackend {
  const provider = providerSpec(cfg.provider);
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(provider.options)) {
    const v = (cfg as Record<string, unknown>)[key];
    if (v !== undefined) options[key] = v;
    if (typeof v === 'string') for (const p of templateProblems(v)) problems.push(`${at}.${key}: ${p}`);
  }
  for (const p of provider.validate?.(options) ?? []) problems.push(`${at}.${p}`);
  const endpoint = parseEndpoint(cfg.endpoint ?? provider.defaultEndpoint(options));
  if (endpoint.basePath && !provider.basePath) problems.push(`${at}.endpoint: provider ${cfg.provider} takes no path in its endpoint (scheme://host[:port])`);
  if (cfg.hostOverride) {
    // hostOverride names where the request goes; the scheme stays the endpoint's.
    const [h, p] = cfg.hostOverride.split(':');
    endpoint.host = h!;
    endpoint.port = p ? Number(p) : endpoint.port;
    endpoint.authority = cfg.hostOverride;
  }
  let keyAuth: KeyAuth = { kind: 'none' };
  const placement = cfg.authHeaderOverride ?? provider.authPlacement;
  if (cfg.authToken?.kind === 'AzureAD') {
    if (!provider.entraIdAuthorizer) problems.push(`${at}.authToken: kind AzureAD (Entra ID tokens) is for azureopenai backends; provider ${cfg.provider} does not take it`);
  } else if (cfg.authToken?.kind === 'Passthrough') keyAuth = { kind: 'passthrough', placement: placement ? ({ ...provider.authPlacement, ...placement } as never) : undefined };
  else if (cfg.authToken) {
    if (!placement) problems.push(`${at}.authToken: provider ${cfg.provider} does not take a key; it authenticates on its own`);
    else {
      const secret =
        cfg.authToken.kind === 'Inline'
          ? { describe: 'inline', value: () => (cfg.authToken as { inline: string }).inline }
          : secretFrom(cfg.authToken.secretRef);
      keyAuth = { kind: 'key', secret, placement: { ...provider.authPlacement, ...placement } as never };
    }
  }
  if (cfg.model) for (const p of templateProblems(cfg.model)) problems.push(`${at}.model: ${p}`);
  const runtime: CompiledBackend = {
    name,
    provider,
    ...endpoint,
    model: cfg.model,
    options,
    routes: cfg.routes ? Object.entries(cfg.routes) : undefined,
    keyAuth,
    modelTemplate: cfg.model ? compileTemplate(cfg.model) : undefined,
    hostOverride: cfg.hostOverride,
    pathOverride: cfg.pathOverride,
    listModels: cfg.models ?? (cfg.model && !cfg.model.includes('$(') ? [cfg.model] : []),
    config: cfg,
  };
  // AzureAD replaces the provider's key with a token; Passthrough lets the client's
  // credential go on as it is, so nothing signs or mints over it.
  if (cfg.authToken?.kind === 'AzureAD') {
    if (provider.entraIdAuthorizer) runtime.authorizer = provider.entraIdAuthorizer(runtime);
  } else if (provider.authorizer && keyAuth.kind !== 'passthrough') runtime.authorizer = provider.authorizer(runtime);
  return runtime;
}

function staticName(t: Template): string | undefined {
  return t.isStatic ? t.raw : undefined;
}

/** One wording for a reference to a backend that does not exist, from a valid file or a raw one. */
const notConfigured = (at: string, name: string) => `${at}: backend "${name}" is not configured`;

function compilePool(name: string, cfg: PoolConfig, backends: ReadonlyMap<string, CompiledBackend>, problems: string[]): CompiledPool {
  const members: PoolMember[] = [];
  const seen = new Set<string>();
  cfg.backends.forEach((m, i) => {
    const at = `pools.${name}.backends.${i}.backend`;
    const backend = backends.get(m.backend);
    if (!backend) return problems.push(notConfigured(at, m.backend));
    // Envoy tells members apart by endpoint; one backend twice would be one host with two meanings.
    if (seen.has(m.backend)) return problems.push(`${at}: backend "${m.backend}" is already in this pool`);
    seen.add(m.backend);
    members.push({ backend, model: m.model, priority: m.priority, weight: m.weight });
  });
  members.sort((a, b) => a.priority - b.priority);
  return { name, members, config: cfg };
}

export function compileConfig(file: ConfigFile): RuntimeConfig {
  const problems: string[] = [];
  const backends = new Map<string, CompiledBackend>();
  for (const [name, cfg] of Object.entries(file.backends)) {
    try {
      backends.set(name, compileBackend(name, cfg as BackendConfig, `backends.${name}`, problems));
    } catch (err) {
      problems.push(`backends.${name}: ${(err as Error).message}`);
    }
  }
  const pools = new Map<string, CompiledPool>();
  for (const [name, cfg] of Object.entries(file.pools)) {
    if (backends.has(name)) problems.push(`pools.${name}: a backend has this name; backends and pools share names`);
    pools.set(name, compilePool(name, cfg, backends, problems));
  }
  const known = (n: string) => backends.has(n) || pools.has(n);
  const knownBackend = (t: Template, at: string) => {
    for (const p of templateProblems(t.raw)) problems.push(`${at}: ${p}`);
    const n = staticName(t);
    if (n !== undefined && !known(n)) problems.push(notConfigured(at, n));
  };
  if (file.defaultBackend !== undefined && !known(file.defaultBackend)) {
    problems.push(notConfigured('defaultBackend', file.defaultBackend));
  }
  const paths = file.paths.map((rule, index): CompiledPathRule => {
    const at = `paths.${index}`;
    let regex: RegExp | undefined;
    if (rule.regex !== undefined) {
      try {
        regex = new RegExp(rule.regex);
      } catch (err) {
        problems.push(`${at}.regex: ${(err as Error).message}`);
      }
    }
    const backend = compileTemplate(rule.backend);
    knownBackend(backend, `${at}.backend`);
    const tpl = (key: 'model' | 'deployment' | 'rewrite') => {
      const raw = rule[key];
      if (raw === undefined) return undefined;
      for (const p of templateProblems(raw)) problems.push(`${at}.${key}: ${p}`);
      return compileTemplate(raw);
    };
    return { index, prefix: rule.prefix?.replace(/\/+$/, ''), regex, backend, model: tpl('model'), deployment: tpl('deployment'), rewrite: tpl('rewrite'), routeType: rule.routeType };
  });
  const models = file.models.map((m, i) => {
    const backend = compileTemplate(m.backend);
    knownBackend(backend, `models.${i}.backend`);
    return { match: m.match, regex: globToRegExp(m.match), backend };
  });
  let clients: ClientKeys | undefined;
  if (file.clients) {
    clients = new ClientKeys();
    for (const [name, c] of Object.entries(file.clients)) {
      const globs = (list: string[] | undefined) => list?.map(globToRegExp);
      for (const b of c.allow?.backends ?? []) if (!b.includes('*') && !b.includes('?') && !known(b)) problems.push(notConfigured(`clients.${name}.allow.backends`, b));
      const principal = { name, backends: globs(c.allow?.backends), models: globs(c.allow?.models) };
      for (const key of c.keys) clients.add(principal, key);
    }
  }
  const pricing = Object.entries(file.pricing ?? {}).map(([glob, price]) => ({ regex: globToRegExp(glob), price }));
  if (file.rateLimits?.rules.some((r) => r.budget) && pricing.length === 0) problems.push('rateLimits.rules: a budget rule needs pricing, to turn tokens into cost');
  if (problems.length > 0) throw new ConfigProblems(problems);
  return {
    clients,
    pricing,
    selectorHeader: file.selectorHeader?.toLowerCase() ?? null,
    defaultBackend: file.defaultBackend,
    backends,
    pools,
    paths,
    models,
    maxRequestBytes: file.limits.maxRequestBytes,
    maxRequestHeaderBytes: file.limits.maxRequestHeaderBytes,
    ports: file.ports,
    telemetry: file.telemetry,
    listenHost: file.listen.host,
    file,
  };
}

/**
 * References to backends that do not exist, read from the raw file: reported beside schema
 * errors, so one bad key does not hide the rest (compileConfig checks them on a valid file).
 */
export function rawReferenceProblems(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object') return [];
  const r = raw as { backends?: unknown; pools?: unknown; defaultBackend?: unknown; paths?: unknown; models?: unknown };
  const keys = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v) : []);
  const names = new Set([...keys(r.backends), ...keys(r.pools)]);
  const out: string[] = [];
  const check = (v: unknown, at: string) => {
    if (typeof v === 'string' && !v.includes('$(') && !names.has(v)) out.push(notConfigured(at, v));
  };
  check(r.defaultBackend, 'defaultBackend');
  const backendNames = new Set(keys(r.backends));
  for (const [pool, p] of Object.entries(r.pools && typeof r.pools === 'object' ? r.pools : {})) {
    const members = (p as { backends?: unknown } | null)?.backends;
    if (!Array.isArray(members)) continue;
    members.forEach((m, i) => {
      const b = (m as { backend?: unknown } | null)?.backend;
      if (typeof b === 'string' && !backendNames.has(b)) out.push(notConfigured(`pools.${pool}.backends.${i}.backend`, b));
    });
  }
  for (const [key, list] of [['paths', r.paths], ['models', r.models]] as const) {
    if (Array.isArray(list)) list.forEach((rule, i) => check((rule as { backend?: unknown } | null)?.backend, `${key}.${i}.backend`));
  }
  return out;
}

/** zod issues as `path.to.key: message`, with "Required" for missing keys. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    const message = missing ? 'Required' : issue.message;
    return path ? `${path}: ${message}` : message;
  });
}
