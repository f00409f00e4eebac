// OAuth2 access tokens from a Google service-account key (the JWT-bearer grant of
// RFC 7523, as Google's token endpoint takes it): an RS256-signed assertion is
// exchanged for a bearer token, which is cached and refreshed before it expires.
// Concurrent requests share one in-flight exchange. Key material never leaves here.
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { GatewayError } from '../errors.js';

export const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Refresh this long before expiry (or at half the lifetime of a short-lived token). */
const REFRESH_EARLY_MS = 5 * 60 * 1000;
const ASSERTION_LIFETIME_S = 3600;
const FETCH_TIMEOUT_MS = 10_000;

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId?: string;
  tokenUri?: string;
}

/** Parses a service-account JSON key file's text; the error never quotes the key. */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('the service-account key is not JSON');
  }
  if (!raw || typeof raw !== 'object') throw new Error('the service-account key is not a JSON object');
  if (raw.type !== undefined && raw.type !== 'service_account') throw new Error(`the key is of type ${JSON.stringify(raw.type)}, not service_account`);
  if (typeof raw.client_email !== 'string' || typeof raw.private_key !== 'string') throw new Error('the service-account key lacks client_email or private_key');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(raw.private_key);
  } catch {
    throw new Error('the service-account key\'s private_key is not a PEM private key');
  }
  return {
    clientEmail: raw.client_email,
    privateKey,
    ...(typeof raw.private_key_id === 'string' ? { privateKeyId: raw.private_key_id } : {}),
    ...(typeof raw.token_uri === 'string' ? { tokenUri: raw.token_uri } : {}),
  };
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** The signed assertion: header.claims.signature, RS256 over the first two. */
export function signAssertion(key: ServiceAccountKey, audience: string, scope: string, nowSeconds: number): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope, aud: audience, iat: nowSeconds, exp: nowSeconds + ASSERTION_LIFETIME_S };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(key.privateKey);
  return `${signingInput}.${b64url(signature)}`;
}

export interface TokenSourceOptions {
  /** The key file's current text (re-read secrets rotate: a new text means a new token). */
  keyText: () => string | undefined;
  /** Where the key comes from, safe to log. */
  describe: string;
  /** Overrides the key's token_uri; default Google's. */
  tokenEndpoint?: string;
  scope?: string;
  now?: () => number;
}

interface Cached {
  keyText: string;
  token: string;
  refreshAt: number;
}

export class GcpTokenSource {
  private cached: Cached | undefined;
  private inflight: { keyText: string; promise: Promise<string> } | undefined;
  private parsed: { keyText: string; key: ServiceAccountKey } | undefined;

  constructor(private readonly opts: TokenSourceOptions) {}

  /** A valid access token, minted or refreshed as needed; GatewayError credential_unavailable on failure. */
  async token(): Promise<string> {
    const keyText = this.opts.keyText();
    if (!keyText) throw new GatewayError('credential_unavailable', `the gateway has no service-account key for this backend (${this.opts.describe} is empty)`);
    const now = this.now();
    if (this.cached && this.cached.keyText === keyText && now < this.cached.refreshAt) return this.cached.token;
    if (this.inflight?.keyText === keyText) return this.inflight.promise;
    const promise = this.mint(keyText).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { keyText, promise };
    return promise;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private key(keyText: string): ServiceAccountKey {
    if (this.parsed?.keyText !== keyText) {
      try {
        this.parsed = { keyText, key: parseServiceAccountKey(keyText) };
      } catch (err) {
        throw new GatewayError('credential_unavailable', `${(err as Error).message} (${this.opts.describe})`);
      }
    }
    return this.parsed.key;
  }

  private async mint(keyText: string): Promise<string> {
    const key = this.key(keyText);
    const endpoint = this.opts.tokenEndpoint ?? key.tokenUri ?? GOOGLE_TOKEN_ENDPOINT;
    const started = this.now();
    const assertion = signAssertion(key, endpoint, this.opts.scope ?? CLOUD_PLATFORM_SCOPE, Math.floor(started / 1000));
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new GatewayError('credential_unavailable', `the token endpoint ${endpoint} is unreachable: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // reported below
    }
    if (!res.ok || typeof body.access_token !== 'string' || body.access_token === '') {
      // The OAuth error code (invalid_grant…) says what is wrong and carries no secret.
      const why = typeof body.error === 'string' ? body.error : res.ok ? 'no access_token in the answer' : `status ${res.status}`;
      throw new GatewayError('credential_unavailable', `the token endpoint ${endpoint} refused the service account ${key.clientEmail}: ${why}`);
    }
    const expiresIn = Number(body.expires_in);
    const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000;
    const refreshAt = started + lifetimeMs - Math.min(REFRESH_EARLY_MS, lifetimeMs / 2);
    this.cached = { keyText, token: body.access_token, refreshAt };
    return body.access_token;
  }
}
