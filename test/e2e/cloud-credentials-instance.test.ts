// Instance-identity credentials through a real Envoy, each source pointed at a fake on
// 127.0.0.1: Bedrock without `aws` where the AWS default chain has nothing but EC2 instance
// metadata (IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT, 2-second role keys), and Azure
// OpenAI with authToken AzureAD where DefaultAzureCredential has nothing but managed
// identity (the IMDS token endpoint at AZURE_POD_IDENTITY_AUTHORITY_HOST, 3-second tokens;
// that variable also makes the library skip its probe of 169.254.169.254). Like AWS and
// Entra, the fake upstreams refuse a credential that fails to verify or has expired, so a
// request signed with stale keys fails the test. The chains read this file's env (vitest
// forks a process per file).
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_HOLD_MS } from '../../src/auth/refresh.js';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeCloud, type FakeImds, IMDS_ROLE, imdsSecret, isolateAwsToImds, isolateAzureEnv, startFakeAzureMsi, startFakeImds } from '../auth/fake-clouds.js';
import { chatCompletion } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs } from './observe.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const MODEL = 'anthropic.claude-sonnet-4-5-v1:0';
const converse = { output: { message: { role: 'assistant', content: [{ text: 'Hello from Bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 }, metrics: { latencyMs: 12 } };
const header = (r: Recorded, name: string) => String(r.headers[name] ?? '');
const accessKeyOf = (r: Recorded) => /Credential=([^/]+)\//.exec(header(r, 'authorization'))?.[1] ?? '';
/** Everything the gateway wrote that a secret could leak into: its log lines and Envoy's access log. */
const written = () => JSON.stringify(logs.lines) + JSON.stringify(gw.accessLog());

let imds: FakeImds, msi: FakeCloud;
let bedrock: FakeUpstream, azure: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();

/** Bedrock as AWS answers: 403 unless the signature verifies with the issued key's secret, its session token matches, and it has not expired. */
function bedrockReply(req: Recorded): Reply {
  const accessKeyId = accessKeyOf(req);
  const expiresAt = imds.expiresAt.get(accessKeyId);
  if (expiresAt === undefined || !verifySigV4(req, 'us-east-1', 'bedrock', { accessKeyId, secretAccessKey: imdsSecret(accessKeyId) })) {
    return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
  }
  if (header(req, 'x-amz-security-token') !== `imds-session-${accessKeyId.replace('AKIDIMDS', '')}`) return { status: 403, json: { message: 'The security token included in the request is invalid.' } };
  if (Date.now() >= expiresAt) return { status: 403, json: { message: 'The security token included in the request is expired' } };
  return { json: converse };
}

/** Azure OpenAI as Entra-protected: 401 unless the bearer token is one the identity endpoint issued and it has not expired. */
function azureReply(req: Recorded): Reply {
  const token = header(req, 'authorization').replace(/^Bearer /, '');
  const expiresAt = msi.expiresAt.get(token);
  if (expiresAt === undefined || Date.now() >= expiresAt) return { status: 401, json: { error: { code: '401', message: 'Access token is missing, invalid or expired.' } } };
  return { json: chatCompletion('gpt-4o-2024-08-06', 'Hello from Azure') };
}

beforeAll(async () => {
  [imds, msi] = await Promise.all([startFakeImds(2), startFakeAzureMsi('unused-app-service-header', 3)]);
  isolateAwsToImds(imds);
  // No AZURE_CLIENT_ID: the VM's (or node's) system-assigned identity.
  isolateAzureEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: msi.url });
  bedrock = await startFakeUpstream(bedrockReply);
  azure = await startFakeUpstream(azureReply);
  gw = await startGateway({
    backends: {
      'bedrock-ec2': { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url },
      'azure-mi': { provider: 'azureopenai', endpoint: azure.url, apiVersion: '2024-10-21', deployment: 'gpt-4o', authToken: { kind: 'AzureAD' } },
    },
    defaultBackend: 'bedrock-ec2',
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([imds, msi, bedrock, azure].map((f) => f?.close()));
});

const openai = (backend: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-not-for-the-cloud', maxRetries: 0, defaultHeaders: { 'x-llm-backend': backend } });
const ask = (backend: string, model: string) => openai(backend).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
const claude = () => new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client-not-for-the-cloud', maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'bedrock-ec2' } });

describe('Bedrock through the AWS default credential chain (EC2 instance metadata, IMDSv2)', () => {
  it('signs with the instance role\'s keys, keeps them while fresh and signs with new ones after they expire', async () => {
    const a = await ask('bedrock-ec2', MODEL);
    expect(a.choices[0]!.message.content).toBe('Hello from Bedrock');
    await ask('bedrock-ec2', MODEL);
    const [k1, k2] = bedrock.requests.slice(-2).map(accessKeyOf);
    expect(k1).toBe('AKIDIMDS1');
    expect(k2).toBe(k1);
    expect(imds.issued).toBe(1);
    // IMDSv2 only: every read carried a session token from the PUT (the fake refuses v1).
    expect(imds.hits.filter((h) => h.method === 'PUT').map((h) => h.path)).toEqual(['/latest/api/token']);
    expect(imds.hits.filter((h) => h.method === 'GET').every((h) => imds.sessions.includes(String(h.headers['x-aws-ec2-metadata-token'])))).toBe(true);
    expect(imds.hits.at(-1)!.path).toBe(`/latest/meta-data/iam/security-credentials/${IMDS_ROLE}`);
    await sleep(2100);
    // The upstream refuses expired keys, so this passing means the gateway fetched new ones.
    const b = await ask('bedrock-ec2', MODEL);
    expect(b.choices[0]!.message.content).toBe('Hello from Bedrock');
    expect(accessKeyOf(bedrock.last())).not.toBe(k1);
    expect(accessKeyOf(bedrock.last())).toBe(`AKIDIMDS${imds.issued}`);
    expect(imds.hits.filter((h) => h.method === 'PUT').length).toBeGreaterThanOrEqual(2);
  });

  it('instance metadata that is down is a 503 credential_unavailable in the Anthropic dialect, and no key or token is logged', async () => {
    imds.down = true;
    try {
      // Past the cached keys' expiry: the gateway may not sign with them any more.
      await sleep(2100);
      const before = bedrock.requests.length;
      const err = (await claude().messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(err.status).toBe(503);
      const body = err.error as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.message).toMatch(/^credential_unavailable: the AWS default credential chain has no usable credentials for backend "bedrock-ec2"/);
      expect(JSON.stringify(body)).not.toMatch(/imds-secret-|imds-session-|imds-v2-session-/);
      expect(bedrock.requests.length).toBe(before);
    } finally {
      imds.down = false;
    }
    expect(written()).not.toMatch(/imds-secret-|imds-session-|imds-v2-session-/);
    // And it recovers with the endpoint. once the failure is no longer held (src/auth/refresh.ts: 1 s after the first).
    await sleep(FAILURE_HOLD_MS);
    expect((await ask('bedrock-ec2', MODEL)).choices[0]!.message.content).toBe('Hello from Bedrock');
  });
});

describe('Azure OpenAI through DefaultAzureCredential (managed identity, IMDS endpoint)', () => {
  it('sends the managed identity\'s token instead of api-key, and a newly issued one after expiry', async () => {
    const a = await ask('azure-mi', 'gpt-4o');
    expect(a.choices[0]!.message.content).toBe('Hello from Azure');
    const up = azure.last();
    expect(header(up, 'authorization')).toBe('Bearer mi-token-1');
    expect(up.headers['api-key']).toBeUndefined();
    expect(up.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    const hit = msi.hits.at(-1)!;
    const url = new URL(hit.path, msi.url);
    expect(url.pathname).toMatch(/^\/metadata\/identity\/oauth2\/token\/?$/);
    expect(url.searchParams.get('resource')).toBe('https://cognitiveservices.azure.com');
    expect(url.searchParams.get('client_id')).toBeNull();
    expect(hit.headers.metadata).toBe('true');
    await ask('azure-mi', 'gpt-4o');
    expect(header(azure.last(), 'authorization')).toBe('Bearer mi-token-1');
    expect(msi.issued).toBe(1);
    await sleep(3100);
    // The upstream refuses expired tokens: this passing means a new one was fetched.
    const b = await ask('azure-mi', 'gpt-4o');
    expect(b.choices[0]!.message.content).toBe('Hello from Azure');
    expect(header(azure.last(), 'authorization')).toBe(`Bearer mi-token-${msi.issued}`);
    expect(msi.issued).toBeGreaterThanOrEqual(2);
  });

  it('an identity endpoint that is down is a 503 credential_unavailable in the OpenAI dialect, and no token is logged', async () => {
    msi.down = true;
    try {
      await sleep(3100);
      const before = azure.requests.length;
      // DefaultAzureCredential retries the unreachable endpoint (5 times from 800 ms, 12-25 s)
      // before it gives up; Envoy's 30 s message timeout leaves room for the 503.
      const err = (await ask('azure-mi', 'gpt-4o').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(503);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('Azure default credential chain');
      // The configured link's reason, not only the unconfigured links' boilerplate.
      expect(err.message).toContain('ManagedIdentityCredential: Network unreachable');
      expect(JSON.stringify(err.error)).not.toMatch(/mi-token-/);
      expect(azure.requests.length).toBe(before);
    } finally {
      msi.down = false;
    }
    expect(written()).not.toMatch(/mi-token-/);
  }, 60_000);
});
