// Entra ID tokens through DefaultAzureCredential's workload identity link (AKS):
// AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID, the projected token sent
// as client_assertion to a fake https authority on 127.0.0.1 (AZURE_AUTHORITY_HOST) that
// issues 2-second tokens. The library keeps the file's content for 5 minutes, so the
// rotation case moves only Date (vi.setSystemTime, frozen) instead of waiting; timers and
// sockets stay real. This file's process trusts the fake's self-signed certificate.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { azureDefaultCredential, COGNITIVE_SERVICES_SCOPE } from '../../src/auth/azure-entra.js';
import { GatewayError } from '../../src/errors.js';
import { type FakeCloud, isolateAzureEnv, startFakeEntraFederated } from './fake-clouds.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const TENANT = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const CLIENT = '9f8e7d6c-5b4a-4938-8271-605f4e3d2c1b';
/** A projected service-account token's shape (header.claims.signature); the fake only compares it. */
const projectedToken = (n: number) =>
  [{ alg: 'RS256', kid: 'k' }, { iss: 'https://oidc.example/cluster', sub: 'system:serviceaccount:ai:gateway', aud: ['api://AzureADTokenExchange'], n }]
    .map((p) => Buffer.from(JSON.stringify(p)).toString('base64url'))
    .join('.') + `.sig-${n}`;

let entra: FakeCloud & { assertions: string[] };
let tokenFile: string;
const assertionsSent = () => entra.hits.filter((h) => h.form).map((h) => h.form!.get('client_assertion'));

beforeAll(async () => {
  entra = await startFakeEntraFederated(TENANT, CLIENT, [projectedToken(1)], 2);
  tokenFile = join(mkdtempSync(join(tmpdir(), 'llm-extproc-wi-')), 'azure-identity-token');
  writeFileSync(tokenFile, projectedToken(1));
  isolateAzureEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT, AZURE_AUTHORITY_HOST: entra.url });
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await entra?.close();
});

describe('Entra ID through the Azure default credential chain (workload identity)', () => {
  it('exchanges the projected token for a Cognitive Services token, shares it while fresh and gets a new one before expiry', async () => {
    const token = azureDefaultCredential('backend "a"');
    expect(await Promise.all([token(), token(), token()])).toEqual(['entra-token-1', 'entra-token-1', 'entra-token-1']);
    const grant = entra.hits.find((h) => h.form)!.form!;
    expect(grant.get('grant_type')).toBe('client_credentials');
    expect(grant.get('client_id')).toBe(CLIENT);
    expect(grant.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(grant.get('client_assertion')).toBe(projectedToken(1));
    expect(grant.get('scope')).toContain(COGNITIVE_SERVICES_SCOPE);
    expect(grant.get('client_secret')).toBeNull();
    await sleep(1100);
    expect(await token()).toBe('entra-token-2');
  });

  it('sends the rotated projected token once the library\'s 5-minute copy of the file is stale', async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const token = azureDefaultCredential('backend "a"');
    const before = entra.issued;
    expect(await token()).toBe(`entra-token-${before + 1}`);
    // Kubernetes rotates the projected token in place; the old one stays valid for its lifetime.
    writeFileSync(tokenFile, projectedToken(2));
    entra.assertions.push(projectedToken(2));
    vi.setSystemTime(t0 + 3_000);
    expect(await token()).toBe(`entra-token-${before + 2}`);
    expect(assertionsSent().at(-1)).toBe(projectedToken(1));
    vi.setSystemTime(t0 + 5 * 60_000 + 3_000);
    expect(await token()).toBe(`entra-token-${before + 3}`);
    expect(assertionsSent().at(-1)).toBe(projectedToken(2));
  });

  it('with an hour-long token that MSAL also caches, a new one is in use before the old one expires', async () => {
    const t0 = Date.now();
    vi.setSystemTime(t0);
    entra.lifetimeS = 3600;
    try {
      const token = azureDefaultCredential('backend "a"');
      const first = await token();
      const expiresAt = entra.expiresAt.get(first)!;
      vi.setSystemTime(expiresAt - 30 * 60_000);
      expect(await token()).toBe(first);
      // At the gateway's refresh point MSAL may still hand back its cached token (its own
      // margin is also 5 minutes); by 10 s before expiry the token in use must be new.
      for (const before of [5 * 60_000, 4 * 60_000, 2 * 60_000, 10_000]) {
        vi.setSystemTime(expiresAt - before);
        await token();
      }
      const later = await token();
      expect(later).not.toBe(first);
      expect(entra.expiresAt.get(later)!).toBeGreaterThan(expiresAt);
    } finally {
      entra.lifetimeS = 2;
    }
  });

  it('an authority that refuses the projected token is credential_unavailable, and the message carries no token', async () => {
    writeFileSync(tokenFile, projectedToken(3));
    const err = (await azureDefaultCredential('backend "a"')().catch((e: unknown) => e)) as GatewayError;
    expect(assertionsSent().at(-1)).toBe(projectedToken(3));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('credential_unavailable');
    expect(err.message).toContain('Azure default credential chain');
    expect(err.message).not.toContain(projectedToken(3));
    expect(err.message).not.toContain('.sig-');
  });
});
