// The header mutation that sends a request to its backend: routing header for
// Envoy, :authority and :path, credential, and removal of what a client must not
// pass on (x-llm-* headers, the selector header, credentials the gateway replaces).
import { applyKeyAuth, stripClientCredentials } from '../auth/static-key.js';
import type { CompiledBackend, RuntimeConfig } from '../config/compile.js';
import { MutationBuilder } from '../extproc/headers.js';

export const BACKEND_HEADER = 'x-llm-backend';

/** @param upstreamPath the provider path for the request: a translator's, or the client's own on passthrough routes. */
export function upstreamHeaders(
  cfg: RuntimeConfig,
  backend: CompiledBackend,
  requestHeaders: ReadonlyMap<string, string>,
  upstreamPath: string,
): MutationBuilder {
  const out = new MutationBuilder();
  for (const name of requestHeaders.keys()) {
    if (name.startsWith('x-llm-')) out.removeHeader(name);
  }
  if (cfg.selectorHeader) out.removeHeader(cfg.selectorHeader);
  // Always overwrite: Envoy routes on it, and a client's value must never steer them.
  out.setHeader(BACKEND_HEADER, backend.name);
  const path = backend.pathOverride ?? (upstreamPath === '' ? '/' : upstreamPath);
  if (path !== requestHeaders.get(':path')) out.setHeader(':path', path);
  if (backend.authority !== requestHeaders.get(':authority')) out.setHeader(':authority', backend.authority);
  applyKeyAuth(backend.keyAuth, requestHeaders, out);
  // Signed or token-authorised backends (SigV4, OAuth2): a client key must not ride along.
  if (backend.authorizer && backend.keyAuth.kind !== 'passthrough') stripClientCredentials(out);
  return out;
}
