// Limits on Envoy's own global rate limiting: the envoyproxy/ratelimit service (counters in
// Redis, shared by every gateway replica) and Envoy's rate limit filter, both configured from
// the processor's `rateLimits`. Each rule is one descriptor: `rule=rN`, then the client, the
// backend and the model where the rule names them (read from the llm_extproc metadata the
// processor writes before the filter runs). A request rule charges 1 before the request; a
// token rule checks before the request (charging 0: over the limit already is a 429) and
// charges the tokens when the response ends, streams and client hang-ups included.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RateLimitRule, RateLimits } from '../config/schema.js';
import { COST_MICROUSD_KEY, METADATA_NAMESPACE, type MetadataKey } from './metadata-keys.js';

type Obj = Record<string, unknown>;

/** The ratelimit service's domain for this gateway's descriptors. */
export const RATELIMIT_DOMAIN = 'llm_extproc';
export const RATELIMIT_CLUSTER = 'llm_ratelimit';

const TOKEN_KEY: Record<'input' | 'output' | 'total', MetadataKey> = { input: 'input_tokens', output: 'output_tokens', total: 'total_tokens' };

/** The descriptor entries a rule narrows by, in order, with the metadata each reads. */
const DIMENSIONS = [
  { key: 'client', rule: 'clients', metadata: 'client' },
  { key: 'backend', rule: 'backends', metadata: 'backend' },
  { key: 'model', rule: 'models', metadata: 'request_model' },
] as const satisfies readonly { key: string; rule: keyof RateLimitRule; metadata: MetadataKey }[];

export const ruleId = (i: number) => `r${i}`;

/** The dimensions a rule narrows by, in descriptor order. */
export const ruleDimensions = (r: RateLimitRule) => DIMENSIONS.filter((d) => r[d.rule] !== undefined);

function limitOf(r: RateLimitRule): { unit: string; requests_per_unit: number } {
  if (r.budget) return { unit: r.budget.per, requests_per_unit: Math.round(r.budget.costUsd * 1e6) };
  const l = (r.requests ?? r.tokens)!;
  return { unit: l.per, requests_per_unit: l.limit };
}

/**
 * The status Envoy's budget filter answers with: only so that the local reply mappers can tell
 * a budget from a rate limit. Clients get a 429 budget_exceeded.
 */
export const BUDGET_MARKER_STATUS = 402;

/** Nested descriptors for the dimensions a rule names; `*` is each value on its own counter. */
function nest(r: RateLimitRule, depth: number): Obj[] | undefined {
  const dims = ruleDimensions(r);
  if (depth === dims.length) return undefined;
  const d = dims[depth]!;
  return (r[d.rule] as string[]).map((v) => {
    const inner = nest(r, depth + 1);
    return { key: d.key, ...(v === '*' ? {} : { value: v }), ...(inner ? { descriptors: inner } : { rate_limit: limitOf(r) }) };
  });
}

/** The ratelimit service's config file (one domain) for these limits. */
export function ratelimitServiceConfig(limits: RateLimits): Obj {
  return {
    domain: RATELIMIT_DOMAIN,
    descriptors: limits.rules.map((r, i) => {
      const inner = nest(r, 0);
      return { key: 'rule', value: ruleId(i), ...(inner ? { descriptors: inner } : { rate_limit: limitOf(r) }) };
    }),
  };
}

function actions(r: RateLimitRule, i: number): Obj[] {
  const out: Obj[] = [{ generic_key: { descriptor_key: 'rule', descriptor_value: ruleId(i) } }];
  for (const d of ruleDimensions(r)) {
    // Absent (no client authentication, say): Envoy builds no descriptor, and the rule does not apply.
    out.push({ metadata: { descriptor_key: d.key, metadata_key: { key: METADATA_NAMESPACE, path: [{ key: d.metadata }] }, source: 'DYNAMIC' } });
  }
  return out;
}

/** A filter's rate_limits: one entry per request rule; a check (charging 0) and a charge on stream done per token or budget rule. */
export function envoyRateLimits(limits: RateLimits, budgets = false): Obj[] {
  const out: Obj[] = [];
  limits.rules.forEach((r, i) => {
    if ((r.budget !== undefined) !== budgets) return;
    const a = actions(r, i);
    if (r.requests) {
      out.push({ actions: a });
      return;
    }
    const charged = r.budget ? COST_MICROUSD_KEY : TOKEN_KEY[r.tokens!.count];
    out.push({ actions: a, hits_addend: { number: 0 } });
    out.push({ actions: actions(r, i), hits_addend: { format: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${charged})%` }, apply_on_stream_done: true });
  });
  return out;
}

const FILTER_NAME = 'envoy.filters.http.ratelimit';
const BUDGET_FILTER_NAME = 'llm_extproc.budgets';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute';

/**
 * The rules as the route table carries them: the virtual host's per-filter config for each
 * filter. On the routes, not in the filters, so that a reload which rewrites the routes file
 * adds, removes or narrows a rule with no restart. RateLimitPerRoute.rate_limits takes the
 * filter's own entry form, per-descriptor hits included (a route's RouteAction.rate_limits
 * does not send those in Envoy 1.40).
 */
export function rateLimitsPerFilter(limits: RateLimits): Obj | undefined {
  const out: Obj = {};
  for (const [name, budgets] of [[FILTER_NAME, false], [BUDGET_FILTER_NAME, true]] as const) {
    const rateLimits = envoyRateLimits(limits, budgets);
    if (rateLimits.length) out[name] = { '@type': PER_ROUTE_TYPE, rate_limits: rateLimits };
  }
  return Object.keys(out).length ? out : undefined;
}

function filter(name: string, limits: RateLimits, timeout: string, budgets: boolean): Obj {
  const mode = budgets ? (limits.service.budgetFailureMode ?? limits.service.failureMode) : limits.service.failureMode;
  return {
    name,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
      domain: RATELIMIT_DOMAIN,
      timeout,
      failure_mode_deny: mode === 'closed',
      enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
      ...(budgets ? { rate_limited_status: { code: BUDGET_MARKER_STATUS } } : {}),
      // The rules themselves are on the route table's virtual host, not here: with live config
      // a reload rewrites the routes file, so adding or narrowing a rule needs no restart.
      rate_limit_service: { grpc_service: { envoy_grpc: { cluster_name: RATELIMIT_CLUSTER } }, transport_api_version: 'V3' },
    },
  };
}

/**
 * Envoy's rate limit filters, after the processor's (they read the metadata it wrote) and
 * before the router: one for request and token rules, one for budgets (its own failure mode,
 * and a marker status so the client's 429 can say budget_exceeded). Both are there whenever
 * the config has a rateLimits section, rules or not: a filter with no rules on the route
 * calls nothing, and a later rule then needs only the routes file.
 */
export function rateLimitFilters(limits: RateLimits, timeout: string): Obj[] {
  return [filter(FILTER_NAME, limits, timeout, false), filter(BUDGET_FILTER_NAME, limits, timeout, true)];
}

/** Where generated configs send Envoy when the config names no service (`up` starts one and says where). */
export const DEFAULT_RATELIMIT_ADDRESS = '127.0.0.1:8081';

export function serviceAddress(limits: RateLimits): { host: string; port: number } {
  const [host, port] = (limits.service.address ?? DEFAULT_RATELIMIT_ADDRESS).split(':');
  return { host: host!, port: Number(port) };
}

/** The service's file as `llm-extproc ratelimit-config` prints it; replicas with one config write the same bytes. */
export function ratelimitConfigYaml(limits: RateLimits): string {
  return `# Generated by llm-extproc from its rateLimits; edits are lost on regeneration.\n${stringify(ratelimitServiceConfig(limits), { lineWidth: 0 })}`;
}

/** The file name the processor writes into rateLimits.service.configDir. */
export const RATELIMIT_FILE = 'llm_extproc.yaml';

/** Writes the service's file atomically (a dotfile the service ignores, then a rename), when a configDir is set. */
export function writeRatelimitConfig(limits: RateLimits | undefined): string | undefined {
  const dir = limits?.service.configDir;
  if (!limits || !dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const target = join(dir, RATELIMIT_FILE);
  const tmp = join(dir, `.${RATELIMIT_FILE}.${process.pid}`);
  writeFileSync(tmp, ratelimitConfigYaml(limits));
  renameSync(tmp, target);
  return target;
}
