// How Vertex AI requests are authorised: an OAuth2 access token minted from the
// backend's service-account key (src/auth/gcp-oauth.ts). A backend without a key
// forwards the client's own credential (authToken: Passthrough, e.g. a token from
// `gcloud auth print-access-token`).
import { GcpTokenSource } from '../../auth/gcp-oauth.js';
import { secretFrom, type SecretSource } from '../../auth/secrets.js';
import { GatewayError } from '../../errors.js';
import type { BackendRuntime, RequestAuthorizer } from '../types.js';

export function vertexAuthorizer(backend: BackendRuntime): RequestAuthorizer {
  const source = backend.options.serviceAccountKey as SecretSource | undefined;
  if (!source) {
    return {
      async authorize({ headers }) {
        if (headers.authorization) return {};
        throw new GatewayError('credential_unavailable', `backend "${backend.name}" has no serviceAccountKey and the request carries no Authorization to pass through`);
      },
    };
  }
  const secret = secretFrom(source);
  const tokens = new GcpTokenSource({
    keyText: () => secret.value(),
    describe: secret.describe,
    ...(typeof backend.options.tokenEndpoint === 'string' ? { tokenEndpoint: backend.options.tokenEndpoint } : {}),
  });
  return {
    async authorize() {
      return { authorization: `Bearer ${await tokens.token()}` };
    },
  };
}

/** True when the gateway, not the client, authenticates this backend's requests. */
export function mintsTokens(options: Record<string, unknown>): boolean {
  return options.serviceAccountKey !== undefined;
}
