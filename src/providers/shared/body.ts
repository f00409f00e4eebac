// Collects a non-streamed response body across Envoy's chunks, for translators
// that must see the whole JSON document before they can rewrite it, and the checks every
// translator makes of what it reads (JSON, no content encoding).
import { GatewayError } from '../../errors.js';

export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024 * 1024) {}

  /** Adds a chunk; returns the whole body once `end` is true, else undefined. */
  push(chunk: Buffer, end: boolean): Buffer | undefined {
    if (chunk.length > 0) {
      this.size += chunk.length;
      if (this.size > this.limit) throw new Error(`response body over ${this.limit} bytes`);
      this.chunks.push(chunk);
    }
    if (!end) return undefined;
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

/** A 2xx body the translator must read whole; one that is not JSON is the provider's fault, a 502. */
export function parseUpstreamJson<T = unknown>(body: Buffer | string): T {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as T;
  } catch {
    throw new GatewayError('upstream_response_invalid', 'the provider answered with a body that is not JSON');
  }
}

/** A compressed body cannot be rewritten; translators ask for identity, so this is a misbehaving upstream. */
export function requireIdentityEncoding(headers: ReadonlyMap<string, string>): void {
  const enc = (headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (enc !== '' && enc !== 'identity') throw new GatewayError('upstream_response_invalid', `the provider answered with a ${enc}-encoded body, which the gateway cannot translate`);
}

/** The message in an upstream error body of any shape ({error: {message}}, {error}, {message}); a body that is not JSON keeps its text. */
export function upstreamErrorMessage(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  let message = text.trim().slice(0, 2000) || `upstream returned HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const e = parsed.error;
    if (typeof e === 'object' && e && typeof e.message === 'string') message = e.message;
    else if (typeof e === 'string') message = e;
    else if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (a proxy's HTML page): its text is the best message there is.
  }
  return message;
}
