// Amazon Bedrock Runtime: Converse / ConverseStream for chat (OpenAI and Anthropic
// clients), InvokeModel with Titan for OpenAI embeddings. Requests are SigV4-signed
// (service `bedrock`) with credentials from `aws`, or AWS's standard variables.
import { z } from 'zod';
import { missingSecret, secretFrom } from '../../auth/secrets.js';
import { SigV4Authorizer } from '../../auth/sigv4.js';
import type { ProviderSpec } from '../types.js';
import { BedrockAnthropicChat } from './anthropic-chat.js';
import { BedrockOpenAIChat } from './openai-chat.js';
import { BedrockOpenAIEmbeddings } from './openai-embeddings.js';

// Kept local: importing the config schema here would make the registry a cycle.
const SecretSource = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);
type SecretSource = z.infer<typeof SecretSource>;

const AwsCredentials = z
  .object({ accessKeyId: SecretSource, secretAccessKey: SecretSource, sessionToken: SecretSource.optional() })
  .strict();
type AwsCredentials = z.infer<typeof AwsCredentials>;

/** Without `aws`, the variables every AWS tool reads. */
const FROM_ENVIRONMENT: AwsCredentials = {
  accessKeyId: { env: 'AWS_ACCESS_KEY_ID' },
  secretAccessKey: { env: 'AWS_SECRET_ACCESS_KEY' },
  sessionToken: { env: 'AWS_SESSION_TOKEN' },
};

export const SIGNING_SERVICE = 'bedrock';

export const bedrock: ProviderSpec = {
  name: 'bedrock',
  telemetryName: 'aws.bedrock',
  options: {
    region: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS region such as us-east-1'),
    aws: AwsCredentials.optional(),
  },
  defaultEndpoint: (options) => `https://bedrock-runtime.${String(options.region)}.amazonaws.com`,
  authorizer(backend) {
    const aws = (backend.options.aws as AwsCredentials | undefined) ?? FROM_ENVIRONMENT;
    const secret = (s: SecretSource) => secretFrom(s);
    return new SigV4Authorizer(
      {
        accessKeyId: secret(aws.accessKeyId),
        secretAccessKey: secret(aws.secretAccessKey),
        ...(aws.sessionToken ? { sessionToken: secret(aws.sessionToken) } : {}),
      },
      { region: String(backend.options.region), service: SIGNING_SERVICE },
    );
  },
  credentialWarnings(options) {
    const aws = options.aws as AwsCredentials | undefined;
    if (!aws) {
      const missing = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((v) => !process.env[v]);
      return missing.length ? [`aws: the backend has no \`aws\` key and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set here: its requests will fail (503 credential_unavailable) until they are`] : [];
    }
    const out: string[] = [];
    for (const [key, source] of Object.entries(aws)) {
      const why = source && missingSecret(source);
      if (why) out.push(`aws.${key}: ${why}`);
    }
    return out;
  },
  nativeDialect: 'openai',
  nativeOperation: 'chat',
  translator(ctx) {
    if (ctx.dialect === 'openai' && ctx.operation === 'chat') return new BedrockOpenAIChat(ctx);
    if (ctx.dialect === 'openai' && ctx.operation === 'embeddings') return new BedrockOpenAIEmbeddings(ctx);
    if (ctx.dialect === 'anthropic' && ctx.operation === 'chat') return new BedrockAnthropicChat(ctx);
    return undefined;
  },
};
