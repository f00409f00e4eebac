// A local stand-in for Google's OAuth2 token endpoint: checks the JWT-bearer grant
// and the assertion's RS256 signature with the test key pair's public half, then
// answers with a numbered token. Tests script failures and delays through it.
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Assertion {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signatureValid: boolean;
}

export interface FakeTokenServer {
  url: string;
  /** Every exchange received, decoded. */
  assertions: Assertion[];
  grants: string[];
  /** Next answers: a status + body, or undefined for the default success. */
  script: ({ status: number; body: unknown } | undefined)[];
  delayMs: number;
  expiresIn: number;
  close(): Promise<void>;
}

export function testKeyPair(): { privatePem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}

export function serviceAccountJson(privatePem: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'my-project',
    private_key_id: 'kid-123',
    private_key: privatePem,
    client_email: 'gateway@my-project.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...extra,
  });
}

export async function startTokenServer(publicKey: KeyObject): Promise<FakeTokenServer> {
  let n = 0;
  const state = { assertions: [] as Assertion[], grants: [] as string[], script: [] as FakeTokenServer['script'], delayMs: 0, expiresIn: 3599 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      state.grants.push(form.get('grant_type') ?? '');
      const jwt = form.get('assertion') ?? '';
      const [h = '', c = '', s = ''] = jwt.split('.');
      const signatureValid = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(s, 'base64url'));
      state.assertions.push({
        header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
        claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
        signatureValid,
      });
      const scripted = state.script.shift();
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        if (scripted) {
          res.statusCode = scripted.status;
          res.end(JSON.stringify(scripted.body));
        } else if (!signatureValid) {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }));
        } else {
          res.end(JSON.stringify({ access_token: `ya29.test-token-${++n}`, expires_in: state.expiresIn, token_type: 'Bearer' }));
        }
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
