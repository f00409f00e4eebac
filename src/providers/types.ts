// The contract every provider folder implements. The processor talks to providers
// only through these types: it never branches on a provider's name.
import type { z } from 'zod';
import type { AuthPlacement, RequestAuthorizer } from '../auth/types.js';
import type { DialectName, Operation } from '../dialects/types.js';
import type { ResponseProgress } from '../usage/progress.js';
import type { Usage } from '../usage/types.js';

export type { AuthPlacement, RequestAuthorizer };

/** A backend as the runtime sees it: validated, endpoint parsed, templates compiled. */
export interface BackendRuntime {
  name: string;
  provider: ProviderSpec;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** host[:port] as sent in :authority (port omitted when it is the scheme's default). */
  authority: string;
  /** The endpoint's path, without a trailing slash ('' for none); only providers with `basePath` take one. */
  basePath: string;
  model?: string;
  /** Provider-specific options as validated by the provider's schema (raw, may hold templates). */
  options: Record<string, unknown>;
}

/** What the processor knows of one request when it asks a provider for a translator. */
export interface TranslationContext {
  backend: BackendRuntime;
  dialect: DialectName;
  operation: Operation;
  /** Client path after prefix strip / rewrite, without the query string. */
  path: string;
  /** Query string without '?', or ''. */
  query: string;
  /** Model named by the route (Envoy route config, a paths rule) or the backend, templates resolved. */
  model?: string;
  /** Provider options with templates resolved for this request. */
  options: Record<string, unknown>;
  requestHeaders: ReadonlyMap<string, string>;
}

export interface UpstreamRequest {
  /** Path (with query) the upstream receives. */
  path: string;
  /** New body bytes, or undefined to forward the client's body untouched. */
  body?: Buffer;
  setHeaders?: Record<string, string>;
  removeHeaders?: string[];
  /** Model actually requested upstream (for metadata and response headers). */
  model?: string;
  /** True when the client asked for a streamed response. */
  stream: boolean;
  /**
   * The gateway answers this request itself and no upstream is called (a token count the
   * provider has no API for, estimated here). Async so that work runs off the event loop.
   */
  localAnswer?: () => Promise<LocalAnswer>;
}

export interface LocalAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ResponseHeadersResult {
  setHeaders?: Record<string, string>;
  removeHeaders?: string[];
  /** The body will be rewritten: the processor drops content-length. */
  rewritesBody: boolean;
}

/**
 * One request's translation state, both directions. A fresh instance per request
 * holds partial stream state (SSE lines, tool-call indices).
 */
export interface Translator {
  /** Build the upstream request from the client's JSON body (undefined for bodiless requests). */
  request(body: unknown, raw: Buffer | undefined): UpstreamRequest;
  /** Look at the upstream status and headers before any body byte. */
  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult;
  /** One chunk of the upstream body; returns the bytes the client gets now, or undefined for "unchanged". */
  responseChunk(chunk: Buffer, end: boolean): Buffer | undefined;
  /** Usage seen so far (final once progress().complete). */
  usage(): Usage;
  /** The model the upstream says answered, once known. */
  responseModel(): string | undefined;
  /**
   * Whether the response's last event has arrived, its finish reasons and generated text.
   * The processor writes the final counts as soon as it is complete: a client may hang up
   * right after the last event, before Envoy sees the upstream's end of stream.
   */
  progress(): ResponseProgress;
}

export interface ProviderSpec {
  name: string;
  /** OpenTelemetry GenAI `gen_ai.provider.name` (openai, anthropic, aws.bedrock, gcp.gemini…). */
  telemetryName: string;
  /** Provider-specific backend keys (apiVersion, region…); merged into the backend schema. */
  options: z.ZodRawShape;
  /**
   * The endpoint may carry a base path that replaces the API's own `/v1` (OpenAI-compatible
   * servers behind a path: OpenRouter's `/api/v1`, Groq's `/openai/v1`).
   */
  basePath?: boolean;
  /** Plain-words warnings about credentials this backend will not find here (for `check`). */
  credentialWarnings?(options: Record<string, unknown>): string[];
  /** The public API this provider defaults to, as scheme://host[:port]. */
  defaultEndpoint(options: Record<string, unknown>): string;
  /** Where a static key goes; undefined for providers that sign (bedrock) or mint tokens (vertex). */
  authPlacement?: AuthPlacement;
  /** Builds a per-backend authorizer for providers that do not use a static key header. */
  authorizer?(backend: BackendRuntime): RequestAuthorizer;
  /** The authorizer for authToken { kind: AzureAD } (Entra ID tokens); absent: the provider does not take them. */
  entraIdAuthorizer?(backend: BackendRuntime): RequestAuthorizer;
  /** The dialect a bare prefix (`/gemini`) speaks for this provider. */
  nativeDialect: DialectName;
  /** Operation the bare prefix maps to. */
  nativeOperation: Operation;
  /** A translator for this client dialect/operation, or undefined when the provider cannot serve it. */
  translator(ctx: TranslationContext): Translator | undefined;
  /** Checks a backend's options beyond the schema (cross-field rules); returns problems. */
  validate?(options: Record<string, unknown>): string[];
}
