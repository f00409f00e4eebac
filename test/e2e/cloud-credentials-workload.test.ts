// Azure OpenAI with authToken AzureAD through a real Envoy, where DefaultAzureCredential
// has nothing but workload identity (AKS): AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID +
// AZURE_TENANT_ID, the projected token exchanged as client_assertion at a fake https
// authority on 127.0.0.1 (AZURE_AUTHORITY_HOST) that issues 2-second tokens. The fake Azure
// refuses tokens it did not see issued or that have expired. The library keeps the token
// file's content for 5 minutes; reading the rotated file after that is tested in
// test/auth/azure-workload-identity.test.ts with a moved clock, not waited for here.
// The chain reads this file's env (vitest forks a process per file).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_HOLD_MS } from '../../src/auth/refresh.js';
import { type FakeCloud, isolateAzureEnv, startFakeEntraFederated } from '../auth/fake-clouds.js';
import { chatCompletion } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs } from './observe.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const TENANT = '6e5d4c3b-2a19-4f08-9e7d-6c5b4a392817';
const CLIENT = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
/** A projected service-account token's shape; the fake authority only compares it. */
const PROJECTED = ['{"alg":"RS256","kid":"k"}', '{"iss":"https://oidc.example/cluster","sub":"system:serviceaccount:ai:gateway","aud":["api://AzureADTokenExchange"]}']
  .map((p) => Buffer.from(p).toString('base64url'))
  .join('.') + '.projected-signature-never-logged';
const header = (r: Recorded, name: string) => String(r.headers[name] ?? '');

let entra: FakeCloud & { assertions: string[] };
let azure: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();
const grants = () => entra.hits.filter((h) => h.form).map((h) => h.form!);

/** Azure OpenAI as Entra-protected: 401 unless the bearer token was issued by the authority and has not expired. */
function azureReply(req: Recorded): Reply {
  const expiresAt = entra.expiresAt.get(header(req, 'authorization').replace(/^Bearer /, ''));
  if (expiresAt === undefined || Date.now() >= expiresAt) return { status: 401, json: { error: { code: '401', message: 'Access token is missing, invalid or expired.' } } };
  return { json: chatCompletion('gpt-4o-2024-08-06', 'Hello from Azure') };
}

beforeAll(async () => {
  entra = await startFakeEntraFederated(TENANT, CLIENT, [PROJECTED], 2);
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'llm-extproc-wi-')), 'azure-identity-token');
  writeFileSync(tokenFile, PROJECTED);
  // What the AKS workload identity webhook injects into the pod.
  isolateAzureEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT, AZURE_AUTHORITY_HOST: entra.url });
  // The fake authority's certificate is self-signed (MSAL talks to https authorities only).
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  azure = await startFakeUpstream(azureReply);
  gw = await startGateway({
    backends: { 'azure-wi': { provider: 'azureopenai', endpoint: azure.url, apiVersion: '2024-10-21', deployment: 'gpt-4o', authToken: { kind: 'AzureAD' } } },
    defaultBackend: 'azure-wi',
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([entra, azure].map((f) => f?.close()));
});

const ask = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-not-for-the-cloud', maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

describe('Azure OpenAI through DefaultAzureCredential (workload identity)', () => {
  it('sends the token the projected token was exchanged for, instead of api-key, and a newly issued one after expiry', async () => {
    const a = await ask();
    expect(a.choices[0]!.message.content).toBe('Hello from Azure');
    const up = azure.last();
    expect(header(up, 'authorization')).toBe('Bearer entra-token-1');
    expect(up.headers['api-key']).toBeUndefined();
    expect(header(up, 'authorization')).not.toContain('sk-client');
    const grant = grants()[0]!;
    expect(grant.get('grant_type')).toBe('client_credentials');
    expect(grant.get('client_id')).toBe(CLIENT);
    expect(grant.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(grant.get('client_assertion')).toBe(PROJECTED);
    expect(grant.get('scope')).toContain('https://cognitiveservices.azure.com/.default');
    await ask();
    expect(header(azure.last(), 'authorization')).toBe('Bearer entra-token-1');
    expect(entra.issued).toBe(1);
    await sleep(2100);
    // The upstream refuses expired tokens: this passing means the gateway got a new one.
    const b = await ask();
    expect(b.choices[0]!.message.content).toBe('Hello from Azure');
    expect(header(azure.last(), 'authorization')).toBe(`Bearer entra-token-${entra.issued}`);
    expect(entra.issued).toBeGreaterThanOrEqual(2);
    expect(grants().at(-1)!.get('client_assertion')).toBe(PROJECTED);
  });

  it('an authority that is down is a 503 credential_unavailable in the OpenAI dialect, and neither token is logged', async () => {
    entra.down = true;
    try {
      await sleep(2100);
      const before = azure.requests.length;
      const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(503);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('Azure default credential chain');
      expect(err.message).not.toContain('projected-signature');
      expect(azure.requests.length).toBe(before);
    } finally {
      entra.down = false;
    }
    const written = JSON.stringify(logs.lines) + JSON.stringify(gw.accessLog());
    expect(written).not.toMatch(/projected-signature|entra-token-/);
    expect(written).not.toContain(PROJECTED.split('.')[1]!);
    // And it recovers with the authority. once the failure is no longer held (src/auth/refresh.ts: 1 s after the first).
    await sleep(FAILURE_HOLD_MS);
    expect((await ask()).choices[0]!.message.content).toBe('Hello from Azure');
  }, 60_000);
});
