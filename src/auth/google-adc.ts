// Google Application Default Credentials through google-auth-library: the file named
// by GOOGLE_APPLICATION_CREDENTIALS (service account, workload identity federation),
// gcloud's well-known file, then the GCE / GKE metadata server (workload identity).
// The library caches the access token and refreshes it before expiry; this module only
// loads it lazily and turns its failures into credential_unavailable.
import { lazyModule } from '../lazy.js';
import { GatewayError } from '../errors.js';
import { CLOUD_PLATFORM_SCOPE } from './gcp-oauth.js';
import { failureText } from './refresh.js';

const googleAuth = lazyModule<typeof import('google-auth-library')>('google-auth-library');

export type TokenSource = () => Promise<string>;

/** `projectId` spares the library a project lookup (about a second through gcloud) before the first token. */
export function googleDefaultCredentials(describe: string, opts: { projectId?: string; scope?: string } = {}): TokenSource {
  let auth: InstanceType<typeof import('google-auth-library').GoogleAuth> | undefined;
  return async () => {
    let token: string | null | undefined;
    try {
      auth ??= new (googleAuth().GoogleAuth)({ scopes: [opts.scope ?? CLOUD_PLATFORM_SCOPE], ...(opts.projectId ? { projectId: opts.projectId } : {}) });
      token = await auth.getAccessToken();
    } catch (err) {
      // Discovery results are cached, the metadata server's absence too (process-wide):
      // start over next time, since GKE's metadata server can lag a new pod, a file be mounted late.
      auth = undefined;
      googleAuth().gcpMetadata.resetIsAvailableCache();
      throw new GatewayError('credential_unavailable', `Google Application Default Credentials give no access token for ${describe}: ${failureText(err)}`);
    }
    if (!token) throw new GatewayError('credential_unavailable', `Google Application Default Credentials gave an empty access token for ${describe}`);
    return token;
  };
}
