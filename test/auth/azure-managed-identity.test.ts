// Entra ID tokens through DefaultAzureCredential's managed identity link, App Service /
// Container Apps / Functions flavour: IDENTITY_ENDPOINT + IDENTITY_HEADER pointed at a fake
// on 127.0.0.1 issuing 3-second tokens (expires_on is whole seconds). MSAL picks the managed
// identity source once per process, so the IMDS flavour is in the e2e file
// cloud-credentials-instance.test.ts, and this file's process sees only App Service's vars.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { azureDefaultCredential } from '../../src/auth/azure-entra.js';
import { GatewayError } from '../../src/errors.js';
import { type FakeCloud, isolateAzureEnv, startFakeAzureMsi } from './fake-clouds.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const IDENTITY_HEADER = 'app-service-identity-header-do-not-log';
const CLIENT = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
let msi: FakeCloud;

beforeAll(async () => {
  msi = await startFakeAzureMsi(IDENTITY_HEADER, 3);
  // AZURE_CLIENT_ID without a tenant or secret: a user-assigned identity, not EnvironmentCredential.
  isolateAzureEnv({ IDENTITY_ENDPOINT: `${msi.url}/msi/token`, IDENTITY_HEADER, AZURE_CLIENT_ID: CLIENT });
});

afterEach(() => {
  vi.useRealTimers();
  msi.lifetimeS = 3;
});

afterAll(async () => {
  await msi?.close();
});

describe('Entra ID through the Azure default credential chain (App Service managed identity)', () => {
  it('asks the identity endpoint for Cognitive Services as the user-assigned identity, shares the token while fresh, and gets a new one before expiry', async () => {
    const token = azureDefaultCredential('backend "a"');
    const first = await Promise.all([token(), token(), token()]);
    expect(first).toEqual(['mi-token-1', 'mi-token-1', 'mi-token-1']);
    const hit = msi.hits.at(-1)!;
    const q = new URL(hit.path, msi.url).searchParams;
    expect(new URL(hit.path, msi.url).pathname).toBe('/msi/token');
    expect(q.get('resource')).toBe('https://cognitiveservices.azure.com');
    expect(q.get('client_id')).toBe(CLIENT);
    expect(hit.headers['x-identity-header']).toBe(IDENTITY_HEADER);
    expect(msi.issued).toBe(1);
    // Refreshed at half its (at most 3 s) lifetime; 2.1 s is past that and past MSAL's own cache.
    await sleep(2100);
    expect(await token()).toBe('mi-token-2');
  });

  it('an identity endpoint that is down is credential_unavailable, and the message carries no identity header', async () => {
    const token = azureDefaultCredential('backend "a"');
    expect(await token()).toMatch(/^mi-token-\d+$/);
    msi.down = true;
    try {
      await sleep(3100);
      // DefaultAzureCredential retries an unreachable identity endpoint 5 times from 800 ms
      // with backoff (12-25 s) before the chain gives up: the first request waits that long.
      const err = (await token().catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('Azure default credential chain');
      // The link that was configured says why, within the bounded line (the chain's
      // unconfigured links and troubleshooting URLs come first in the library's text).
      expect(err.message).toContain('ManagedIdentityCredential: Network unreachable');
      expect(err.message).not.toContain(IDENTITY_HEADER);
      // The next request does not wait out the chain's retries again: the failure is held
      // for a moment (src/auth/refresh.ts), and the endpoint is not asked.
      const hits = msi.hits.length;
      const t = Date.now();
      const again = (await token().catch((e: unknown) => e)) as GatewayError;
      expect(Date.now() - t).toBeLessThan(200);
      expect(again.code).toBe('credential_unavailable');
      expect(again.message).toContain('ManagedIdentityCredential: Network unreachable');
      expect(msi.hits.length).toBe(hits);
    } finally {
      msi.down = false;
    }
  }, 60_000);

  it('with a day-long token (MSAL caches it and refreshes it from half its lifetime), a new one is in use before the old one expires', async () => {
    // Only Date moves (frozen, stepped); timers and sockets stay real. Last in the file:
    // MSAL's token cache is process-wide, and the day-long token would answer later cases.
    const t0 = Date.now();
    vi.setSystemTime(t0);
    msi.lifetimeS = 24 * 3600;
    const token = azureDefaultCredential('backend "a"');
    const first = await token();
    const asked = msi.hits.length;
    vi.setSystemTime(t0 + 12 * 3600_000 + 1000);
    expect(await token()).toBe(first);
    expect(msi.hits.length).toBe(asked);
    const expiresAt = msi.expiresAt.get(first)!;
    // From 5 minutes before expiry the gateway asks the chain again; whatever MSAL hands
    // back from its cache on the way, the token in use 10 s before expiry must be new.
    for (const before of [4 * 60_000, 2 * 60_000, 60_000, 10_000]) {
      vi.setSystemTime(expiresAt - before);
      await token();
    }
    const later = await token();
    expect(later).not.toBe(first);
    expect(msi.expiresAt.get(later)!).toBeGreaterThan(expiresAt);
  });
});
