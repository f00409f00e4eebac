// Credentials that are a key placed in a header: Inline and SecretRef (seed 003),
// or the client's own (Passthrough). Placement comes from the provider, or from
// the backend's authHeaderOverride (seed 001).
import { GatewayError } from '../errors.js';
import type { MutationBuilder } from '../extproc/headers.js';
import type { AuthPlacement } from './types.js';
import type { Secret } from './secrets.js';

/** Client headers that may carry a provider credential; removed before the gateway injects one. */
export const CLIENT_CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

export type KeyAuth =
  | { kind: 'none' }
  /** The client's own credential; moved to the provider's placement when the client put it elsewhere. */
  | { kind: 'passthrough'; placement?: AuthPlacement }
  | { kind: 'key'; secret: Secret; placement: AuthPlacement };

/** The credential a client sent, wherever its SDK puts it (Bearer, x-api-key, api-key, x-goog-api-key). */
export function clientCredential(headers: ReadonlyMap<string, string>): { header: string; key: string } | undefined {
  for (const header of CLIENT_CREDENTIAL_HEADERS) {
    const value = headers.get(header);
    if (!value) continue;
    return { header, key: header === 'authorization' ? value.replace(/^Bearer\s+/i, '') : value };
  }
  return undefined;
}

/** Adds this credential to the upstream request's header mutation. */
export function applyKeyAuth(auth: KeyAuth, requestHeaders: ReadonlyMap<string, string>, out: MutationBuilder): void {
  switch (auth.kind) {
    case 'none':
      return;
    case 'passthrough': {
      const found = clientCredential(requestHeaders);
      if (!found) {
        throw new GatewayError('missing_credentials', 'this backend uses the client credential, and the request carries none (Authorization header)');
      }
      const p = auth.placement;
      // An OpenAI SDK sends `Authorization: Bearer`, Anthropic's `x-api-key`: the provider
      // needs the key where it looks for it. Same header: forwarded untouched.
      if (!p || p.headerName === found.header) return;
      stripClientCredentials(out);
      out.setHeader(p.headerName, p.prefix + found.key);
      for (const [k, v] of Object.entries(p.extraHeaders ?? {})) if (!requestHeaders.has(k)) out.setHeader(k, v);
      return;
    }
    case 'key': {
      const key = auth.secret.value();
      if (!key) {
        // Fail closed: never forward a request that would reach the provider unauthenticated.
        throw new GatewayError('credential_unavailable', `the gateway has no credential for this backend (${auth.secret.describe} is empty)`);
      }
      stripClientCredentials(out);
      out.setHeader(auth.placement.headerName, auth.placement.prefix + key);
      for (const [k, v] of Object.entries(auth.placement.extraHeaders ?? {})) {
        if (!requestHeaders.has(k)) out.setHeader(k, v);
      }
      return;
    }
  }
}

export function stripClientCredentials(out: MutationBuilder): void {
  for (const h of CLIENT_CREDENTIAL_HEADERS) out.removeHeader(h);
}
