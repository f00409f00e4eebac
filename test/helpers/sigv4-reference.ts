// A SigV4 reference signer written from AWS's specification (node:crypto only), independent
// of @smithy/signature-v4: the signature tests prove it against AWS's published vectors, and
// fake Bedrock servers in the e2e suite verify what they receive with it.
import { createHash, createHmac } from 'node:crypto';

export const AKID = 'AKIDEXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

export const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface RefCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const EXAMPLE: RefCredentials = { accessKeyId: AKID, secretAccessKey: SECRET };

export interface RefRequest {
  method: string;
  path: string; // as sent (already encoded once)
  query: [string, string][];
  headers: Record<string, string>; // the headers to sign, lower-case names
  payloadHash: string;
}

/** The reference signer: canonical request, string to sign, derived key, signature. */
export function referenceAuthorization(req: RefRequest, amzDate: string, region: string, service: string, creds: RefCredentials = EXAMPLE): string {
  // Every AWS service but S3 encodes each path segment again.
  const canonicalPath = req.path.split('/').map(uriEncode).join('/');
  const canonicalQuery = req.query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = Object.keys(req.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${req.headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [req.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, req.payloadHash].join('\n');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/** Whether a request as a server received it carries a valid signature (by the example credentials, or `creds`) over its path, host and body. */
export function verifySigV4(req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Buffer }, region: string, service: string, creds: RefCredentials = EXAMPLE): boolean {
  const auth = String(req.headers.authorization ?? '');
  const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const n of signed) headers[n] = String(req.headers[n] ?? '');
  const [path, query = ''] = req.url.split('?');
  const q = [...new URLSearchParams(query)] as [string, string][];
  if (req.headers['x-amz-content-sha256'] !== sha256(req.body)) return false;
  return auth === referenceAuthorization({ method: req.method, path: path!, query: q, headers, payloadHash: sha256(req.body) }, String(req.headers['x-amz-date']), region, service, creds);
}
