// AWS Signature Version 4 for the final upstream request (Bedrock). The signature
// covers exactly what the upstream receives: method, :authority, path with query,
// and the body after translation, so the processor calls this after the translator.
// Only host, content-type and the x-amz-* headers are signed: Envoy may add or
// change others (x-forwarded-*, x-envoy-*, user-agent) on the way out.
import { lazyModule } from '../lazy.js';
import { GatewayError } from '../errors.js';
import type { RequestAuthorizer } from './types.js';
import type { Secret } from './secrets.js';

const sha256 = lazyModule<typeof import('@aws-crypto/sha256-js')>('@aws-crypto/sha256-js');
const signatureV4 = lazyModule<typeof import('@smithy/signature-v4')>('@smithy/signature-v4');

export interface AwsCredentialSecrets {
  accessKeyId: Secret;
  secretAccessKey: Secret;
  sessionToken?: Secret;
}

export interface SigV4Request {
  method: string;
  /** host[:port] as the upstream sees it. */
  authority: string;
  /** Path with an optional query string, already URL-encoded as sent. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Headers that travel to the upstream unchanged and are worth binding into the signature. */
const SIGNED_REQUEST_HEADERS = ['content-type'];

/** Signs one request; returns the headers to set (authorization, x-amz-date, x-amz-content-sha256, x-amz-security-token). */
export async function signV4(
  req: SigV4Request,
  creds: AwsCredentials,
  scope: { region: string; service: string },
  signingDate: Date = new Date(),
): Promise<Record<string, string>> {
  const signer = new (signatureV4().SignatureV4)({ credentials: creds, region: scope.region, service: scope.service, sha256: sha256().Sha256 });
  const q = req.path.indexOf('?');
  const path = q === -1 ? req.path : req.path.slice(0, q);
  const query = q === -1 ? {} : parseQuery(req.path.slice(q + 1));
  const headers: Record<string, string> = { host: req.authority };
  for (const name of SIGNED_REQUEST_HEADERS) {
    const v = req.headers[name];
    if (v !== undefined) headers[name] = v;
  }
  const [host, port] = splitAuthority(req.authority);
  // The path arrives encoded once (model ids: ':' -> %3A); the signer encodes it
  // again for the canonical request, which is what every AWS service but S3 expects.
  const signed = await signer.sign(
    { method: req.method, protocol: 'https:', hostname: host, port, path, query, headers, body: req.body ?? '' },
    { signingDate },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) {
    const name = k.toLowerCase();
    if (name === 'authorization' || name.startsWith('x-amz-')) out[name] = v;
  }
  return out;
}

/**
 * The authorizer a Bedrock backend uses. Static secrets are read per request, so rotated
 * files apply at once; a credential source (the default chain) caches and refreshes itself.
 */
export class SigV4Authorizer implements RequestAuthorizer {
  constructor(
    private readonly credentials: AwsCredentialSecrets | (() => Promise<AwsCredentials>),
    private readonly scope: { region: string; service: string },
  ) {}

  async authorize(req: SigV4Request): Promise<Record<string, string>> {
    const creds = typeof this.credentials === 'function' ? await this.credentials() : fromSecrets(this.credentials);
    return signV4(req, creds, this.scope);
  }
}

function fromSecrets(secrets: AwsCredentialSecrets): AwsCredentials {
  const accessKeyId = secrets.accessKeyId.value();
  const secretAccessKey = secrets.secretAccessKey.value();
  if (!accessKeyId || !secretAccessKey) {
    // Fail closed: an unsigned request would only earn a 403 from AWS, and hide why.
    const missing = !accessKeyId ? secrets.accessKeyId.describe : secrets.secretAccessKey.describe;
    throw new GatewayError('credential_unavailable', `the gateway has no AWS credential for this backend (${missing} is empty)`);
  }
  const sessionToken = secrets.sessionToken?.value();
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

function splitAuthority(authority: string): [string, number | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(authority);
  const host = m?.[1] ?? authority;
  return [host, m?.[2] ? Number(m[2]) : undefined];
}

/** Query string -> the signer's map; keys and values decoded once, repeated keys kept as arrays. */
function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(qs)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
