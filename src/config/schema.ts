// The config file's schema (zod). The provider enum and each provider's own keys
// come from the provider registry, so a provider is declared in one place only.
import { z } from 'zod';
import { PROVIDERS } from '../providers/registry.js';

export const SecretSource = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretSource = z.infer<typeof SecretSource>;

export const AuthToken = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('Inline'), inline: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('SecretRef'), secretRef: SecretSource }).strict(),
  z.object({ kind: z.literal('Passthrough') }).strict(),
  /** A Microsoft Entra ID token from the Azure default credential chain (azureopenai only). */
  z.object({ kind: z.literal('AzureAD') }).strict(),
]);
export type AuthToken = z.infer<typeof AuthToken>;

export const RouteType = z.enum(['completions', 'passthrough']);
export type RouteType = z.infer<typeof RouteType>;

const Endpoint = z
  .string()
  .regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, 'must be scheme://host[:port] (http or https), with a base path only where the provider takes one');

/** `500ms`, `5s`, `2m`, `1h`. */
export const Duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 500ms, 30s, 5m');

const RetryOn = z.union([z.enum(['5xx', 'reset', 'connect-failure', 'refused-stream']), z.number().int().min(400).max(599)]);

export const Timeouts = z
  .object({
    /** Opening a connection to the provider. */
    connect: Duration.optional(),
    /** Per attempt, until the provider's response headers (a stream's first byte; a whole non-streamed answer). */
    firstByte: Duration.optional(),
    /** Longest silence between bytes once the answer is streaming. */
    streamIdle: Duration.optional(),
    /** The whole request, every attempt and the full streamed answer included. */
    request: Duration.optional(),
  })
  .strict();

export const Retry = z
  .object({
    /** Attempts in all, the first included. */
    attempts: z.number().int().min(1).max(10),
    on: z.array(RetryOn).min(1).default([429, '5xx', 'reset', 'connect-failure']),
    backoff: z.object({ base: Duration, max: Duration.optional() }).strict().optional(),
  })
  .strict();

/** Envoy's outlier detection: a host that keeps failing is left out for a while instead of retried each time. */
export const OutlierDetection = z
  .object({
    /** Consecutive failures (5xx, 429, connection failures, timeouts) before the backend is ejected. */
    consecutiveErrors: z.number().int().min(1).max(1000).default(5),
    /** How often Envoy reviews the counts and returns ejected hosts. */
    interval: Duration.default('10s'),
    /** First ejection lasts this long; each further one lasts longer (times the ejections so far). */
    baseEjectionTime: Duration.default('30s'),
    /** Share of a cluster's hosts that may be out at once. */
    maxEjectionPercent: z.number().int().min(0).max(100).default(100),
  })
  .strict();
export type OutlierDetection = z.infer<typeof OutlierDetection>;

const commonBackendKeys = {
  endpoint: Endpoint.optional(),
  model: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).optional(),
  authToken: AuthToken.optional(),
  routes: z.record(z.string().min(1), RouteType).optional(),
  hostOverride: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be host[:port]')
    .optional(),
  pathOverride: z.string().startsWith('/').optional(),
  authHeaderOverride: z
    .object({ headerName: z.string().min(1), prefix: z.string().default('') })
    .strict()
    .optional(),
  timeouts: Timeouts.optional(),
  retry: Retry.optional(),
  outlierDetection: OutlierDetection.optional(),
};

const providerNames = Object.keys(PROVIDERS) as [string, ...string[]];
const backendVariants = providerNames.map((name) =>
  z.object({ provider: z.literal(name), ...commonBackendKeys, ...PROVIDERS[name]!.options }).strict(),
);
export const Backend = z.discriminatedUnion('provider', backendVariants as unknown as [z.ZodObject, ...z.ZodObject[]]);
export type BackendConfig = z.infer<typeof Backend> & {
  provider: string;
  endpoint?: string;
  model?: string;
  models?: string[];
  authToken?: AuthToken;
  routes?: Record<string, RouteType>;
  hostOverride?: string;
  pathOverride?: string;
  authHeaderOverride?: { headerName: string; prefix: string };
  timeouts?: z.infer<typeof Timeouts>;
  retry?: z.infer<typeof Retry>;
  outlierDetection?: OutlierDetection;
};

/** Names of backends and pools: one namespace, since a client selects either the same way. */
const TargetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'backend names are letters, digits, _ . -');

export const PoolMember = z
  .object({
    backend: z.string().min(1),
    /** The model this backend is asked for (else the backend's own, else the client's). */
    model: z.string().min(1).optional(),
    /** 0 is tried first; a higher priority gets traffic when the ones before it fail or are ejected. */
    priority: z.number().int().min(0).max(9).default(0),
    /** Share of traffic among the members of one priority. */
    weight: z.number().int().min(1).max(10_000).default(1),
  })
  .strict();

export const Pool = z
  .object({
    backends: z.array(PoolMember).min(1).max(20),
    /** Attempts across the members; default: one per member. */
    retry: Retry.optional(),
    timeouts: Timeouts.optional(),
    outlierDetection: OutlierDetection.optional(),
  })
  .strict();
export type PoolConfig = z.infer<typeof Pool>;

export const PathRule = z
  .object({
    prefix: z.string().startsWith('/').optional(),
    regex: z.string().min(1).optional(),
    backend: z.string().min(1),
    model: z.string().min(1).optional(),
    deployment: z.string().min(1).optional(),
    rewrite: z.string().startsWith('/').optional(),
    routeType: RouteType.optional(),
  })
  .strict()
  .refine((r) => (r.prefix === undefined) !== (r.regex === undefined), {
    message: 'set exactly one of prefix or regex',
  });
export type PathRule = z.infer<typeof PathRule>;

export const ModelRule = z.object({ match: z.string().min(1), backend: z.string().min(1) }).strict();

/** A gateway key: its SHA-256 (hex), or where the key itself is kept (hashed on load, re-read on change). */
export const ClientKey = z.union([
  z.object({ sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex digits of a SHA-256') }).strict(),
  z.object({ secretRef: SecretSource }).strict(),
]);

/** A principal of the gateway (a team, an app, a user): its keys, and what it may use (globs). */
export const Client = z
  .object({
    keys: z.array(ClientKey).min(1),
    allow: z
      .object({
        /** Backend and pool names; absent: all. */
        backends: z.array(z.string().min(1)).optional(),
        /** Models the client may ask for (a pool's name counts as a model); absent: all. */
        models: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ClientConfig = z.infer<typeof Client>;

export const RateUnit = z.enum(['second', 'minute', 'hour', 'day', 'week', 'month']);

/**
 * One limit, for the requests that match it: of the clients named (`*` each client on its own
 * counter), the backends or pools, and the models asked for. Absent: all.
 */
export const RateLimitRule = z
  .object({
    clients: z.array(z.string().min(1)).optional(),
    backends: z.array(z.string().min(1)).optional(),
    models: z.array(z.string().min(1)).optional(),
    requests: z.object({ limit: z.number().int().min(0), per: RateUnit }).strict().optional(),
    tokens: z.object({ count: z.enum(['input', 'output', 'total']).default('total'), limit: z.number().int().min(0), per: RateUnit }).strict().optional(),
    // Spend in USD from `pricing`; the counter holds millionths of a dollar (uint32: up to $4,294).
    budget: z.object({ costUsd: z.number().positive().max(4294), per: RateUnit }).strict().optional(),
  })
  .strict()
  .refine((r) => [r.requests, r.tokens, r.budget].filter((x) => x !== undefined).length === 1, { message: 'set exactly one of requests, tokens or budget' });
export type RateLimitRule = z.infer<typeof RateLimitRule>;

export const RateLimits = z
  .object({
    service: z
      .object({
        /** The ratelimit service's gRPC address (host:port). Absent: `up` starts one and Redis; generated bootstraps say 127.0.0.1:8081. */
        address: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port').optional(),
        /** Where that service reads its descriptor files: the processor writes its file there. */
        configDir: z.string().min(1).optional(),
        /** open: a request passes when the service cannot answer; closed: it is refused. */
        failureMode: z.enum(['open', 'closed']).default('open'),
        /** The same, for budget rules alone (a budget may rather refuse than overspend). */
        budgetFailureMode: z.enum(['open', 'closed']).optional(),
        /** How long Envoy waits for the service before the failure mode applies. */
        timeout: Duration.default('100ms'),
      })
      .strict()
      .default({ failureMode: 'open', timeout: '100ms' }),
    rules: z.array(RateLimitRule).default([]),
  })
  .strict();
export type RateLimits = z.infer<typeof RateLimits>;

const Port = z.number().int().min(0).max(65535);

export const Telemetry = z
  .object({
    otlp: z
      .object({
        // Traces go over OTLP/HTTP (protobuf) to {endpoint}/v1/traces, or to the URL as given when it has a path.
        endpoint: z.string().regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/, 'must be an http(s) URL'),
        // Share of traces the processor starts itself (no traceparent from Envoy or the client) that are sampled.
        sampleRatio: z.number().min(0).max(1).default(1),
        // The generated Envoy bootstrap turns on Envoy's OpenTelemetry tracer to the same collector.
        envoy: z.boolean().default(true),
      })
      .strict()
      .optional(),
    serviceName: z.string().min(1).default('llm-extproc'),
    // Prompts and completions go into spans only when this says so.
    captureContent: z.boolean().default(false),
    // Distinct values kept per metric label whose values come from clients (models); the rest count as "other".
    maxLabelValues: z.number().int().min(1).max(100_000).default(100),
  })
  .strict();
export type Telemetry = z.infer<typeof Telemetry>;
/** A bound on `processor.workers` (and --workers): far past any core count, short of a fork bomb. */
export const MAX_WORKERS = 256;

const TELEMETRY_DEFAULTS = { serviceName: 'llm-extproc', captureContent: false, maxLabelValues: 100 };

export const ConfigFile = z
  .object({
    selectorHeader: z.string().min(1).regex(/^[a-z0-9-]+$/i, 'must be a header name').nullable().default('x-llm-backend'),
    defaultBackend: z.string().min(1).optional(),
    backends: z.record(TargetName, Backend).default({}),
    pools: z.record(TargetName, Pool).default({}),
    // Gateway keys; absent: no client authentication (the listener's reach is the only guard).
    rateLimits: RateLimits.optional(),
    // USD per million tokens, by model glob (first match): turns usage into cost_usd.
    // cachedInput: cache reads; cacheWrite: cache writes (both default to input).
    pricing: z
      .record(z.string().min(1), z.object({ input: z.number().min(0), cachedInput: z.number().min(0).optional(), cacheWrite: z.number().min(0).optional(), output: z.number().min(0) }).strict())
      .optional(),
    clients: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'client names are letters, digits, _ . @ -'), Client).optional(),
    paths: z.array(PathRule).default([]),
    models: z.array(ModelRule).default([]),
    limits: z
      .object({
        maxRequestBytes: z.number().int().positive().default(8 * 1024 * 1024),
        // Request headers (names and values) over this are a 431 in the client's dialect.
        maxRequestHeaderBytes: z.number().int().min(1024).max(4 * 1024 * 1024).default(64 * 1024),
      })
      .strict()
      .default({ maxRequestBytes: 8 * 1024 * 1024, maxRequestHeaderBytes: 64 * 1024 }),
    ports: z
      .object({
        envoy: Port.default(8080),
        envoyAdmin: Port.default(9901),
        // A number, or `unix:/path/to.sock` for a unix socket.
        grpc: z.union([Port, z.string().regex(/^unix:\/.+/, 'a port or unix:/path')]).default(50051),
        admin: Port.default(9464),
      })
      .strict()
      .default({ envoy: 8080, envoyAdmin: 9901, grpc: 50051, admin: 9464 }),
    // Where up and serve listen (Envoy's listener, the processor's gRPC and admin ports). Loopback by
    // default: a gateway that injects provider keys must not be an open relay for the network.
    listen: z
      .object({ host: z.string().min(1).default('127.0.0.1') })
      .strict()
      .default({ host: '127.0.0.1' }),
    telemetry: Telemetry.default(TELEMETRY_DEFAULTS),
    // `serve` only: processes that each run the gRPC server behind the one port or socket
    // (node:cluster). 1 is a single process, no cluster.
    processor: z
      .object({ workers: z.number().int().min(1).max(MAX_WORKERS).default(1) })
      .strict()
      .default({ workers: 1 }),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;
