// Cloud credential chains through a real Envoy, each pointed at a fake on 127.0.0.1 that
// hands out 2-second credentials: Bedrock without `aws` (the AWS default chain reaching a
// fake ECS / pod identity endpoint; the fake Bedrock checks each SigV4 signature with the
// key it was issued), Vertex AI without a key (Application Default Credentials from a fake
// GCE metadata server) and Azure OpenAI with authToken AzureAD (DefaultAzureCredential's
// client-secret flow against a fake https Entra authority). The upstreams must see fresh
// credentials after expiry. The chains read this file's env (vitest forks a process per file).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { ecsSecret, type FakeCloud, isolateCloudEnv, startFakeEcs, startFakeEntra, startFakeMetadata } from '../auth/fake-clouds.js';
import { chatCompletion } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs } from './observe.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const TENANT = '8c4e2d1a-0b7f-4a8e-9d3c-5f6a7b8c9d0e';
const CLIENT = '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
const CLIENT_SECRET = 'entra-secret-never-logged';

const converse = { output: { message: { role: 'assistant', content: [{ text: 'Hello from Bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 }, metrics: { latencyMs: 12 } };
const gemini = { candidates: [{ content: { parts: [{ text: 'Hello from Vertex' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 }, modelVersion: 'gemini-2.5-flash' };
const header = (r: Recorded, name: string) => String(r.headers[name] ?? '');
const accessKeyOf = (r: Recorded) => /Credential=([^/]+)\//.exec(header(r, 'authorization'))?.[1] ?? '';

/** A Bedrock that, like AWS, refuses a signature that does not verify with the secret of the key it names. */
function bedrockReply(req: Recorded): Reply {
  const accessKeyId = accessKeyOf(req);
  const valid = accessKeyId.startsWith('AKIDECS') && verifySigV4(req, 'us-east-1', 'bedrock', { accessKeyId, secretAccessKey: ecsSecret(accessKeyId) });
  const session = header(req, 'x-amz-security-token') === `ecs-session-${accessKeyId.replace('AKIDECS', '')}`;
  if (!valid || !session) return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
  return { json: converse };
}

let ecs: FakeCloud, metadata: FakeCloud, entra: FakeCloud;
let bedrock: FakeUpstream, vertex: FakeUpstream, azure: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();

beforeAll(async () => {
  [ecs, metadata, entra] = await Promise.all([startFakeEcs(2), startFakeMetadata(2), startFakeEntra(TENANT, CLIENT, CLIENT_SECRET, 2)]);
  isolateCloudEnv(ecs, metadata, ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_USERNAME', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT']);
  Object.assign(process.env, {
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: CLIENT,
    AZURE_CLIENT_SECRET: CLIENT_SECRET,
    AZURE_AUTHORITY_HOST: entra.url,
    // The fake authority's certificate is self-signed (MSAL talks to https authorities only).
    NODE_TLS_REJECT_UNAUTHORIZED: '0',
  });
  bedrock = await startFakeUpstream(bedrockReply);
  vertex = await startFakeUpstream(() => ({ json: gemini }));
  azure = await startFakeUpstream(() => ({ json: chatCompletion('gpt-4o-2024-08-06', 'Hello from Azure') }));
  gw = await startGateway({
    backends: {
      'bedrock-irsa': { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url },
      vertex: { provider: 'vertexai', endpoint: vertex.url, projectId: 'my-project', location: 'us-central1' },
      'azure-entra': { provider: 'azureopenai', endpoint: azure.url, apiVersion: '2024-10-21', deployment: 'gpt-4o', authToken: { kind: 'AzureAD' } },
    },
    defaultBackend: 'vertex',
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([ecs, metadata, entra, bedrock, vertex, azure].map((f) => f?.close()));
});

const client = (backend: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-not-for-the-cloud', maxRetries: 0, defaultHeaders: { 'x-llm-backend': backend } });
const ask = (backend: string, model: string) => client(backend).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('Bedrock through the AWS default credential chain (ECS / pod identity endpoint)', () => {
  const MODEL = 'anthropic.claude-sonnet-4-5-v1:0';

  it('signs with the issued keys, keeps them while fresh and signs with new ones after they expire', async () => {
    const a = await ask('bedrock-irsa', MODEL);
    expect(a.choices[0]!.message.content).toBe('Hello from Bedrock');
    await ask('bedrock-irsa', MODEL);
    const [k1, k2] = bedrock.requests.slice(-2).map(accessKeyOf);
    expect(k1).toMatch(/^AKIDECS\d+$/);
    expect(k2).toBe(k1);
    expect(header(bedrock.last(), 'authorization')).not.toContain('sk-client');
    // 2 s keys: new ones at half their lifetime, and certainly after they expired.
    await sleep(2100);
    await ask('bedrock-irsa', MODEL);
    expect(accessKeyOf(bedrock.last())).not.toBe(k1);
    expect(accessKeyOf(bedrock.last())).toBe(`AKIDECS${ecs.issued}`);
    expect(ecs.hits.every((h) => h.path === '/v2/credentials/pod')).toBe(true);
  });

  it('an endpoint that stops answering is a 503 credential_unavailable in the OpenAI dialect, and no secret is logged', async () => {
    await sleep(1100);
    ecs.failWith = 500;
    try {
      const err = (await ask('bedrock-irsa', MODEL).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(503);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('AWS default credential chain');
    } finally {
      ecs.failWith = undefined;
    }
    expect(JSON.stringify(logs.lines)).not.toMatch(/ecs-secret-|ecs-session-/);
  });
});

describe('Vertex AI through Application Default Credentials (GCE metadata server)', () => {
  it('sends the metadata server\'s token in place of the client key, and a newly issued one after expiry', async () => {
    const a = await ask('vertex', 'gemini-2.5-flash');
    expect(a.choices[0]!.message.content).toBe('Hello from Vertex');
    const first = header(vertex.last(), 'authorization');
    expect(first).toMatch(/^Bearer ya29\.metadata-\d+$/);
    expect(vertex.last().url).toContain('/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent');
    await sleep(2100);
    await ask('vertex', 'gemini-2.5-flash');
    const later = header(vertex.last(), 'authorization');
    expect(later).not.toBe(first);
    expect(later).toBe(`Bearer ya29.metadata-${metadata.issued}`);
  });
});

describe('Azure OpenAI with Entra ID tokens (authToken AzureAD)', () => {
  it('sends Authorization: Bearer with the Entra token instead of api-key, and a new token after expiry', async () => {
    const a = await ask('azure-entra', 'gpt-4o');
    expect(a.choices[0]!.message.content).toBe('Hello from Azure');
    const up = azure.last();
    expect(header(up, 'authorization')).toMatch(/^Bearer entra-token-\d+$/);
    expect(up.headers['api-key']).toBeUndefined();
    expect(up.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    const grant = entra.hits.find((h) => h.form)!.form!;
    expect(grant.get('scope')).toContain('https://cognitiveservices.azure.com/.default');
    await ask('azure-entra', 'gpt-4o');
    const first = header(azure.last(), 'authorization');
    expect(header(azure.requests.at(-2)!, 'authorization')).toBe(first);
    await sleep(2100);
    await ask('azure-entra', 'gpt-4o');
    expect(header(azure.last(), 'authorization')).not.toBe(first);
    expect(header(azure.last(), 'authorization')).toBe(`Bearer entra-token-${entra.issued}`);
    expect(JSON.stringify(logs.lines)).not.toContain(CLIENT_SECRET);
  });
});
