// Amazon Bedrock Runtime: Converse / ConverseStream for chat (OpenAI, Anthropic and
// Gemini clients; OpenAI Responses clients over the OpenAI chat translator), InvokeModel with Titan for OpenAI and
// Gemini embeddings; token counts (Anthropic, Gemini, Responses input_tokens) by Bedrock's CountTokens for Claude
// models (count-tokens.ts), estimated by the gateway for the others. Requests are SigV4-signed
// (service `bedrock`) with static credentials from `aws`, or without it the AWS default
// credential chain (environment, profiles, IRSA, pod identity, ECS, EC2), kept fresh.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { awsDefaultChain } from '../../auth/aws-chain.js';
import { missingSecret, secretFrom } from '../../auth/secrets.js';
import { SigV4Authorizer } from '../../auth/sigv4.js';
import { ResponsesOverChat } from '../shared/responses-over-chat.js';
import type { ResponsesTarget } from '../shared/responses-request.js';
import type { ProviderSpec } from '../types.js';
import { BedrockAnthropicChat } from './anthropic-chat.js';
import { BedrockTokenCount } from './count-tokens.js';
import { BedrockGeminiChat } from './gemini-chat.js';
import { BedrockGeminiEmbeddings } from './gemini-embeddings.js';
import { BedrockOpenAIChat } from './openai-chat.js';
import { BedrockOpenAIEmbeddings } from './openai-embeddings.js';

// Kept local: importing the config schema here would make the registry a cycle.
const SecretSource = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);
type SecretSource = z.infer<typeof SecretSource>;

const AwsCredentials = z
  .object({ accessKeyId: SecretSource, secretAccessKey: SecretSource, sessionToken: SecretSource.optional() })
  .strict();
type AwsCredentials = z.infer<typeof AwsCredentials>;

export const SIGNING_SERVICE = 'bedrock';

const BEDROCK_RESPONSES: ResponsesTarget = { name: 'Bedrock', model: 'a Bedrock model', api: "Bedrock's Converse API", jsonObject: true };

const CHAIN_WARNING =
  'aws: none set, and AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set here, nor a profile, web identity (IRSA), pod identity or container credentials: ' +
  'the default chain is left with EC2 instance metadata, and requests fail (503 credential_unavailable) without it';

/** True when a link of the default chain other than EC2 instance metadata has something to use. */
function chainHints(env: NodeJS.ProcessEnv): boolean {
  const vars = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];
  if (vars.some((v) => env[v])) return true;
  const home = env.HOME ?? '';
  return [env.AWS_SHARED_CREDENTIALS_FILE ?? `${home}/.aws/credentials`, env.AWS_CONFIG_FILE ?? `${home}/.aws/config`].some((f) => existsSync(f));
}

export const bedrock: ProviderSpec = {
  name: 'bedrock',
  telemetryName: 'aws.bedrock',
  options: {
    region: z.string().regex(/^[a-z0-9-]+$/, 'must be an AWS region such as us-east-1'),
    aws: AwsCredentials.optional(),
  },
  defaultEndpoint: (options) => `https://bedrock-runtime.${String(options.region)}.amazonaws.com`,
  authorizer(backend) {
    const scope = { region: String(backend.options.region), service: SIGNING_SERVICE };
    const aws = backend.options.aws as AwsCredentials | undefined;
    if (!aws) return new SigV4Authorizer(awsDefaultChain(`backend "${backend.name}"`), scope);
    const secret = (s: SecretSource) => secretFrom(s);
    return new SigV4Authorizer(
      {
        accessKeyId: secret(aws.accessKeyId),
        secretAccessKey: secret(aws.secretAccessKey),
        ...(aws.sessionToken ? { sessionToken: secret(aws.sessionToken) } : {}),
      },
      scope,
    );
  },
  credentialWarnings(options) {
    const aws = options.aws as AwsCredentials | undefined;
    // The chain is only known by asking it; what `check` can see cheaply is whether any link
    // but EC2 instance metadata has something to go on.
    if (!aws) return chainHints(process.env) ? [] : [CHAIN_WARNING];
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
    // The Responses API through the chat translator (../shared/responses-over-chat.ts).
    if (ctx.dialect === 'openai' && ctx.operation === 'responses') return new ResponsesOverChat(new BedrockOpenAIChat(ctx), BEDROCK_RESPONSES);
    if (ctx.dialect === 'openai' && ctx.operation === 'embeddings') return new BedrockOpenAIEmbeddings(ctx);
    // Anthropic's count_tokens, the Responses API's input_tokens and Gemini's countTokens: Bedrock's
    // CountTokens for Claude models, estimated by the gateway for the others (x-llm-tokens-estimated: true).
    if (ctx.operation === 'other') return new BedrockTokenCount(ctx, BEDROCK_RESPONSES);
    if (ctx.dialect === 'anthropic' && ctx.operation === 'chat') return new BedrockAnthropicChat(ctx);
    if (ctx.dialect === 'gemini' && ctx.operation === 'chat') return new BedrockGeminiChat(ctx);
    // embedContent / batchEmbedContents through Titan, one text per request.
    if (ctx.dialect === 'gemini' && ctx.operation === 'embeddings') return new BedrockGeminiEmbeddings(ctx);
    return undefined;
  },
};
