// Pieces every Bedrock translator shares: upstream paths, usage, images, the
// identity of a response (Converse returns no id or timestamp), upstream errors.
import { randomUUID } from 'node:crypto';
import { CLIENT_CREDENTIAL_HEADERS } from '../../auth/static-key.js';
import { GatewayError } from '../../errors.js';
import type { Usage } from '../../usage/types.js';
import type { CacheControl } from '../../dialects/types.js';
import type { CachePoint, ConverseUsage, ImageBlock, ImageFormat } from './converse-types.js';

export type BedrockAction = 'converse' | 'converse-stream' | 'invoke' | 'count-tokens';

/** `/model/{modelId}/{action}`: the id is one path segment, so ':' and '/' (ARNs) are encoded. */
export function modelPath(modelId: string, action: BedrockAction): string {
  return `/model/${encodeURIComponent(modelId)}/${action}`;
}

/**
 * Claude on Bedrock: a base model id (anthropic.claude-…), a cross-region inference profile
 * (us.anthropic.…) or an ARN naming either. Application inference profiles name no model.
 */
export function isClaudeModel(modelId: string | undefined): boolean {
  return modelId !== undefined && modelId.includes('anthropic.');
}

/**
 * Client headers that must not reach AWS: credentials for other providers (the
 * request is SigV4-signed instead), Anthropic's version header, and
 * accept-encoding, because the translators parse the response body.
 */
export const REMOVE_REQUEST_HEADERS = [...CLIENT_CREDENTIAL_HEADERS, 'anthropic-version', 'anthropic-beta', 'accept-encoding'];

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Request headers for Converse: clients' SDKs send `accept: application/json` even when streaming. */
export function converseHeaders(stream: boolean): Record<string, string> {
  return { ...JSON_HEADERS, accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json' };
}

/**
 * Converse usage -> the gateway's. Bedrock's inputTokens excludes prompt-cache reads
 * and writes (as Anthropic's does); the gateway's input count includes them, with
 * cache reads also reported as cached input, as OpenAI counts them, and writes as
 * cache write input.
 */
export function fromConverseUsage(u: ConverseUsage | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const read = u.cacheReadInputTokens ?? 0;
  const write = u.cacheWriteInputTokens ?? 0;
  const out: Usage = {};
  if (typeof u.inputTokens === 'number') out.inputTokens = u.inputTokens + read + write;
  if (typeof u.outputTokens === 'number') out.outputTokens = u.outputTokens;
  if (typeof u.totalTokens === 'number') out.totalTokens = u.totalTokens;
  else if (out.inputTokens !== undefined) out.totalTokens = out.inputTokens + (out.outputTokens ?? 0);
  if (typeof u.cacheReadInputTokens === 'number') out.cachedInputTokens = u.cacheReadInputTokens;
  if (typeof u.cacheWriteInputTokens === 'number') out.cacheWriteInputTokens = u.cacheWriteInputTokens;
  return out;
}

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** A media type and base64 data -> a Converse image block; other types are a 400 naming `param`. */
export function imageBlock(mediaType: string, base64: string, param: string): ImageBlock {
  const format = IMAGE_FORMATS[mediaType.toLowerCase()];
  if (!format) throw new GatewayError('unsupported_field', `Bedrock takes png, jpeg, gif or webp images, not ${mediaType}`, param);
  return { format, source: { bytes: base64 } };
}

/** `data:image/png;base64,...` -> image block. Converse takes bytes only, so an http(s) URL is a 400. */
export function imageFromUrl(url: string, param: string): ImageBlock {
  const m = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!m) {
    throw new GatewayError('unsupported_field', 'Bedrock takes images as base64 data URLs only (data:image/png;base64,...); it cannot fetch image URLs', param);
  }
  return imageBlock(m[1]!, m[2]!, param);
}

/** What a response is called in the client's dialect: Bedrock's request id when it sent one. */
export interface ResponseIdentity {
  /** Hex id without dashes, stable for one upstream response. */
  id: string;
  /** Unix seconds, from the upstream's Date header when present. */
  created: number;
}

export function responseIdentity(headers: ReadonlyMap<string, string>): ResponseIdentity {
  const rid = headers.get('x-amzn-requestid') ?? randomUUID();
  const date = Date.parse(headers.get('date') ?? '');
  return {
    id: rid.replace(/[^A-Za-z0-9]/g, ''),
    created: Number.isFinite(date) ? Math.floor(date / 1000) : Math.floor(Date.now() / 1000),
  };
}

/** An upstream error as the client will see it (status kept, body in its dialect). */
export interface UpstreamError {
  status: number;
  /** Bedrock's error type (ValidationException…) or a generic code. */
  code: string;
  message: string;
}

/** Bedrock errors: `{"message": "..."}` plus `x-amzn-ErrorType: ValidationException:http://...`. */
export function parseUpstreamError(status: number, errorType: string | undefined, body: Buffer): UpstreamError {
  const code = errorType?.split(':')[0]?.trim() || 'upstream_error';
  const text = body.toString('utf8');
  let message = text.trim() || `upstream returned HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string') message = m;
  } catch {
    // Not JSON (a proxy's HTML page): keep the text, it is what the client needs to see.
  }
  return { status, code, message: message.slice(0, 4096) };
}

/** Parses a JSON body the upstream answered 2xx with; anything else is a 502. */
export function parseUpstreamJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('upstream_response_invalid', `Bedrock answered with a body that is not JSON: ${(err as Error).message}`);
  }
}

/** The model id a request names: the route's or backend's wins over the body's. */
export function requireModel(routeModel: string | undefined, bodyModel: unknown): string {
  const model = routeModel ?? (typeof bodyModel === 'string' && bodyModel !== '' ? bodyModel : undefined);
  if (!model) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
  return model;
}

const EXCEPTION_STATUS: Record<string, number> = {
  validationException: 400,
  throttlingException: 429,
  modelStreamErrorException: 424,
  modelTimeoutException: 408,
  internalServerException: 500,
  serviceUnavailableException: 503,
};

/** The HTTP status Bedrock documents for an exception that arrives inside a stream. */
export function exceptionStatus(type: string): number {
  return EXCEPTION_STATUS[type] ?? 500;
}

const CACHE_POINT: { cachePoint: CachePoint } = { cachePoint: { type: 'default' } };
/** The TTLs a Converse cache point takes (Anthropic's own two). */
const CACHE_TTLS = new Set(['5m', '1h']);

/**
 * The cache point that follows a block marked with `cache_control` at `at`, or none. Dropping a
 * marker Bedrock cannot express would silently change what is cached and billed: a 400 instead.
 */
export function cachePoint(cc: CacheControl | null | undefined, at: string): { cachePoint: CachePoint } | undefined {
  if (cc === undefined || cc === null) return undefined;
  if (typeof cc !== 'object' || cc.type !== 'ephemeral') {
    throw new GatewayError('unsupported_field', `${at}.cache_control.type: Bedrock Converse caches with type "ephemeral" only`, `${at}.cache_control.type`);
  }
  if (cc.ttl === undefined || cc.ttl === null) return CACHE_POINT;
  if (typeof cc.ttl !== 'string' || !CACHE_TTLS.has(cc.ttl)) {
    throw new GatewayError('unsupported_field', `${at}.cache_control.ttl: Bedrock Converse cache points take a ttl of 5m or 1h, not ${JSON.stringify(cc.ttl)}`, `${at}.cache_control.ttl`);
  }
  return { cachePoint: { type: 'default', ttl: cc.ttl as CachePoint['ttl'] } };
}
