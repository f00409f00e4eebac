// How Vertex AI requests are authorised: an OAuth2 access token minted from the
// backend's service-account key (src/auth/gcp-oauth.ts: google-auth-library's JWT grant
// goes to Google's fixed token URL, and `tokenEndpoint` must be able to point elsewhere),
// or without a key from Application Default Credentials (src/auth/google-adc.ts).
// A backend with authToken: Passthrough gets no authorizer: the client's token goes on.
import { GcpTokenSource } from '../../auth/gcp-oauth.js';
import { googleDefaultCredentials } from '../../auth/google-adc.js';
import { secretFrom, type SecretSource } from '../../auth/secrets.js';
import type { BackendRuntime, RequestAuthorizer } from '../types.js';

export function vertexAuthorizer(backend: BackendRuntime): RequestAuthorizer {
  const source = backend.options.serviceAccountKey as SecretSource | undefined;
  if (!source) {
    const projectId = backend.options.projectId;
    const adc = googleDefaultCredentials(`backend "${backend.name}"`, typeof projectId === 'string' && !projectId.includes('$(') ? { projectId } : {});
    return {
      async authorize() {
        return { authorization: `Bearer ${await adc()}` };
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
