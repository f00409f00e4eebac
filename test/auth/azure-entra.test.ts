// Entra ID tokens through @azure/identity's DefaultAzureCredential, client-secret flow
// (AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET) against a fake https
// authority on 127.0.0.1 (AZURE_AUTHORITY_HOST) issuing 2-second tokens. This file's
// process trusts the fake's self-signed certificate; no other file shares its env.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureDefaultCredential, COGNITIVE_SERVICES_SCOPE } from '../../src/auth/azure-entra.js';
import { GatewayError } from '../../src/errors.js';
import { type FakeCloud, startFakeEntra } from './fake-clouds.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const SECRET = 'entra-client-secret-do-not-log';
let entra: FakeCloud;

beforeAll(async () => {
  entra = await startFakeEntra(TENANT, CLIENT, SECRET, 2);
  for (const v of ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_USERNAME', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT']) delete process.env[v];
  Object.assign(process.env, { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: entra.url, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
});

afterAll(async () => {
  await entra?.close();
});

describe('Entra ID through the Azure default credential chain', () => {
  it('gets a token for Cognitive Services with the client secret, reuses it while fresh and a new one before expiry', async () => {
    const token = azureDefaultCredential('backend "a"');
    const first = await Promise.all([token(), token(), token()]);
    expect(first).toEqual(['entra-token-1', 'entra-token-1', 'entra-token-1']);
    const grant = entra.hits.find((h) => h.form)!.form!;
    expect(grant.get('grant_type')).toBe('client_credentials');
    expect(grant.get('scope')).toContain(COGNITIVE_SERVICES_SCOPE);
    await sleep(1100);
    expect(await token()).toBe('entra-token-2');
  });

  it('a refused client secret is credential_unavailable, and the message carries no secret', async () => {
    process.env.AZURE_CLIENT_SECRET = 'wrong-secret-do-not-log';
    try {
      const err = (await azureDefaultCredential('backend "a"')().catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('Azure default credential chain');
      expect(err.message).not.toMatch(/do-not-log/);
    } finally {
      process.env.AZURE_CLIENT_SECRET = SECRET;
    }
  });
});
