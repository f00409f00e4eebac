import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOUD_PLATFORM_SCOPE, GcpTokenSource, JWT_BEARER_GRANT, parseServiceAccountKey } from '../../../src/auth/gcp-oauth.js';
import { GatewayError } from '../../../src/errors.js';
import { type FakeTokenServer, serviceAccountJson, startTokenServer, testKeyPair } from './fake-token-server.js';

const keys = testKeyPair();
let server: FakeTokenServer;

beforeAll(async () => {
  server = await startTokenServer(keys.publicKey);
});
afterAll(() => server.close());
beforeEach(() => {
  server.assertions.length = 0;
  server.grants.length = 0;
  server.script.length = 0;
  server.delayMs = 0;
  server.expiresIn = 3599;
});

function source(keyText: string | undefined = serviceAccountJson(keys.privatePem), now?: () => number) {
  return new GcpTokenSource({ keyText: () => keyText, describe: 'test key', tokenEndpoint: server.url, ...(now ? { now } : {}) });
}

async function credentialError(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('credential_unavailable');
  return err as GatewayError;
}

describe('GcpTokenSource', () => {
  it('exchanges an RS256-signed JWT for a token at the token endpoint', async () => {
    const t0 = Date.now();
    expect(await source().token()).toMatch(/^ya29\.test-token-\d+$/);
    expect(server.grants).toEqual([JWT_BEARER_GRANT]);
    const [a] = server.assertions;
    expect(a!.signatureValid).toBe(true);
    expect(a!.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-123' });
    expect(a!.claims).toMatchObject({ iss: 'gateway@my-project.iam.gserviceaccount.com', scope: CLOUD_PLATFORM_SCOPE, aud: server.url });
    const iat = a!.claims.iat as number;
    expect(Math.abs(iat - Math.floor(t0 / 1000))).toBeLessThanOrEqual(2);
    expect(a!.claims.exp).toBe(iat + 3600);
  });

  it('caches the token until five minutes before it expires, then refreshes', async () => {
    let now = 1_000_000_000_000;
    const src = source(undefined, () => now);
    const first = await src.token();
    now += 50 * 60 * 1000;
    expect(await src.token()).toBe(first);
    expect(server.assertions).toHaveLength(1);
    now += 5 * 60 * 1000; // 55 min: within 5 min of the 3599 s expiry
    const second = await src.token();
    expect(second).not.toBe(first);
    expect(server.assertions).toHaveLength(2);
  });

  it('refreshes a short-lived token at half its lifetime', async () => {
    server.expiresIn = 120;
    let now = 1_000_000_000_000;
    const src = source(undefined, () => now);
    const first = await src.token();
    now += 59_000;
    expect(await src.token()).toBe(first);
    now += 2_000;
    expect(await src.token()).not.toBe(first);
  });

  it('shares one in-flight exchange between concurrent callers', async () => {
    server.delayMs = 50;
    const src = source();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => src.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(server.assertions).toHaveLength(1);
  });

  it('mints a new token when the key changes (a rotated secret file)', async () => {
    let text = serviceAccountJson(keys.privatePem);
    const src = new GcpTokenSource({ keyText: () => text, describe: 'test', tokenEndpoint: server.url });
    const first = await src.token();
    text = serviceAccountJson(keys.privatePem, { client_email: 'other@my-project.iam.gserviceaccount.com' });
    expect(await src.token()).not.toBe(first);
    expect(server.assertions[1]!.claims.iss).toBe('other@my-project.iam.gserviceaccount.com');
  });

  it('turns a refusal into credential_unavailable naming the OAuth error, and retries on the next call', async () => {
    server.script.push({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token' } });
    const src = source();
    const err = await credentialError(src.token());
    expect(err.status).toBe(503);
    expect(err.message).toContain('invalid_grant');
    expect(err.message).not.toContain('PRIVATE KEY');
    expect(await src.token()).toMatch(/^ya29\.test-token-/);
  });

  it('fails on a 200 without an access token, an unreachable endpoint, a missing or broken key', async () => {
    server.script.push({ status: 200, body: { token_type: 'Bearer' } });
    await credentialError(source().token());
    await credentialError(new GcpTokenSource({ keyText: () => serviceAccountJson(keys.privatePem), describe: 'x', tokenEndpoint: 'http://127.0.0.1:1/token' }).token());
    await credentialError(source('').token());
    await credentialError(new GcpTokenSource({ keyText: () => undefined, describe: 'env GCP_KEY' }).token());
    const broken = await credentialError(source('{"type":"service_account","client_email":"a@b","private_key":"not a key"}').token());
    expect(broken.message).toContain('not a PEM private key');
    await credentialError(source('{"type":"authorized_user"}').token());
  });

  it('sends the assertion to the key token_uri when no endpoint is configured', async () => {
    const src = new GcpTokenSource({ keyText: () => serviceAccountJson(keys.privatePem, { token_uri: server.url }), describe: 'x' });
    await src.token();
    expect(server.assertions[0]!.claims.aud).toBe(server.url);
  });
});

describe('parseServiceAccountKey', () => {
  it('reads the fields it needs', () => {
    const k = parseServiceAccountKey(serviceAccountJson(keys.privatePem));
    expect(k).toMatchObject({ clientEmail: 'gateway@my-project.iam.gserviceaccount.com', privateKeyId: 'kid-123', tokenUri: 'https://oauth2.googleapis.com/token' });
  });
  it('rejects what is not a service-account key', () => {
    expect(() => parseServiceAccountKey('nope')).toThrow(/not JSON/);
    expect(() => parseServiceAccountKey('{"type":"service_account"}')).toThrow(/client_email/);
  });
});
