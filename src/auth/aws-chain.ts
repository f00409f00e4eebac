// Credentials from the AWS default chain (@aws-sdk/credential-providers'
// fromNodeProviderChain): environment, shared config and profiles, web identity (IRSA),
// EKS pod identity, ECS and EC2 instance metadata, the order every AWS SDK uses.
// Loaded on first use: the SDK is tens of MiB a processor without Bedrock need not pay.
import { lazyModule } from '../lazy.js';
import { GatewayError } from '../errors.js';
import { failureText, RefreshingCredential } from './refresh.js';
import type { AwsCredentials } from './sigv4.js';

const providers = lazyModule<typeof import('@aws-sdk/credential-providers')>('@aws-sdk/credential-providers');

export type AwsCredentialSource = () => Promise<AwsCredentials>;

/** One cached chain per backend; errors become credential_unavailable, naming no secret. */
export function awsDefaultChain(describe: string): AwsCredentialSource {
  let chain: ReturnType<typeof import('@aws-sdk/credential-providers').fromNodeProviderChain> | undefined;
  const cred = new RefreshingCredential<AwsCredentials>(async () => {
    chain ??= providers().fromNodeProviderChain();
    // This cache decides when to refresh; the chain's own would hand back the old keys
    // while it refreshes in the background.
    const c = await chain({ forceRefresh: true });
    return {
      value: c.sessionToken ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken } : { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
      expiresAt: c.expiration?.getTime(),
    };
  }, Date.now, `AWS credentials for ${describe}`);
  return async () => {
    try {
      return await cred.get();
    } catch (err) {
      // The SDK's messages name the providers it tried and why, never a key.
      throw new GatewayError('credential_unavailable', `the AWS default credential chain has no usable credentials for ${describe}: ${failureText(err)}`);
    }
  };
}
