// Microsoft Entra ID access tokens for Azure OpenAI (authToken: { kind: AzureAD }) from
// @azure/identity's DefaultAzureCredential: environment (client secret or certificate),
// workload identity (AKS), managed identity, then developer logins. The token is cached
// until shortly before it expires; the SDK is loaded only by backends that use it.
import { lazyModule } from '../lazy.js';
import { GatewayError } from '../errors.js';
import { failureText, RefreshingCredential } from './refresh.js';

const identity = lazyModule<typeof import('@azure/identity')>('@azure/identity');

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export function azureDefaultCredential(describe: string, scope = COGNITIVE_SERVICES_SCOPE): () => Promise<string> {
  let credential: InstanceType<typeof import('@azure/identity').DefaultAzureCredential> | undefined;
  const token = new RefreshingCredential<string>(async () => {
    // AZURE_AUTHORITY_HOST names a private or sovereign authority (Azure Stack, a test
    // stand-in): MSAL's instance discovery knows only Microsoft's public ones.
    credential ??= new (identity().DefaultAzureCredential)({ disableInstanceDiscovery: Boolean(process.env.AZURE_AUTHORITY_HOST) });
    const t = await credential.getToken(scope);
    if (!t?.token) throw new Error('the chain returned no token');
    return { value: t.token, expiresAt: t.expiresOnTimestamp };
  }, Date.now, `Entra ID token for ${describe}`);
  return async () => {
    try {
      return await token.get();
    } catch (err) {
      // Entra's answers carry an AADSTS code and a description, never the client secret.
      throw new GatewayError('credential_unavailable', `the Azure default credential chain has no Entra ID token for ${describe}: ${chainFailureText(err)}`);
    }
  };
}

/**
 * DefaultAzureCredential's error names every link it tried, unconfigured ones first, each
 * with a troubleshooting URL: cut to one bounded line as it is, it ended before the reason
 * of the link that was configured (managed identity's "Network unreachable" was lost).
 */
function chainFailureText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return failureText(
    msg
      .replace(/^ChainedTokenCredential authentication failed\.\s*/, '')
      .replace(/(^|\n)(CredentialUnavailableError|AuthenticationRequiredError): /g, '$1')
      .replace(/\s*(To troubleshoot, visit|To mitigate this issue, see the troubleshooting guidelines at|See the troubleshooting guide for more information:) https:\/\/\S+/g, '')
      .replace(/\n+/g, '; '),
  );
}
