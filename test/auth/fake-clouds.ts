// Local stand-ins for the endpoints cloud credential chains ask: an ECS container
// credentials endpoint, EC2 instance metadata (IMDSv2), a GCE metadata server, Azure's
// managed identity endpoints and an Entra ID (v2.0) token endpoint (client secret or a
// federated workload identity token). Each hands out numbered, short-lived credentials so
// a test can see them refreshed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeCloud {
  url: string;
  /** Requests received, as method + path (+ the form for token posts). */
  hits: { method: string; path: string; headers: IncomingMessage['headers']; form?: URLSearchParams }[];
  /** How many credentials were issued. */
  issued: number;
  /** Lifetime of the next credentials, seconds. */
  lifetimeS: number;
  /** Answer with this status instead of credentials. */
  failWith?: number;
  /** Answer nothing, dropping each connection (the endpoint is down). */
  down?: boolean;
  /** When each issued credential expires (epoch ms), by access key id or token, for fakes that record it: a fake upstream refuses it after. */
  expiresAt: Map<string, number>;
  close(): Promise<void>;
}

type Handler = (fake: FakeCloud, req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(server: Server, fake: FakeCloud, handler: Handler, scheme: string): Promise<FakeCloud> {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (fake.down) return void req.socket.destroy();
      const path = req.url ?? '';
      fake.hits.push({ method: req.method ?? '', path, headers: req.headers, ...(req.method === 'POST' ? { form: new URLSearchParams(body) } : {}) });
      handler(fake, req, res, body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  fake.url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((ok) => server.close(() => ok()));
  return fake;
}

const newFake = (lifetimeS: number): FakeCloud => ({ url: '', hits: [], issued: 0, lifetimeS, expiresAt: new Map(), close: async () => {} });

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** ECS / EKS pod identity container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI). Keys: AKIDECS{n}, secret ecs-secret-{n}. */
export function startFakeEcs(lifetimeS = 2): Promise<FakeCloud> {
  return serve(createHttp(), newFake(lifetimeS), (fake, _req, res) => {
    if (fake.failWith) return json(res, fake.failWith, { message: 'no role' });
    const n = ++fake.issued;
    json(res, 200, {
      AccessKeyId: `AKIDECS${n}`,
      SecretAccessKey: `ecs-secret-${n}`,
      Token: `ecs-session-${n}`,
      Expiration: new Date(Date.now() + fake.lifetimeS * 1000).toISOString(),
    });
  }, 'http');
}

export const ecsSecret = (accessKeyId: string) => `ecs-secret-${accessKeyId.replace('AKIDECS', '')}`;

/** The GCE metadata server (GCE_METADATA_HOST): answers the availability ping and the default service account's token. */
export function startFakeMetadata(lifetimeS = 2): Promise<FakeCloud> {
  return serve(createHttp(), newFake(lifetimeS), (fake, req, res) => {
    const flavor = { 'metadata-flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google') return json(res, 403, { error: 'Missing Metadata-Flavor:Google header' }, flavor);
    const path = (req.url ?? '').split('?')[0]!;
    if (path.endsWith('/service-accounts/default/token')) {
      if (fake.failWith) return json(res, fake.failWith, { error: 'no service account' }, flavor);
      const n = ++fake.issued;
      return json(res, 200, { access_token: `ya29.metadata-${n}`, expires_in: fake.lifetimeS, token_type: 'Bearer' }, flavor);
    }
    if (path.startsWith('/computeMetadata/v1')) {
      res.writeHead(200, { 'content-type': 'application/text', ...flavor });
      return res.end('ok');
    }
    json(res, 404, { error: 'not found' }, flavor);
  }, 'http');
}

/** A self-signed certificate for 127.0.0.1 (MSAL talks only to https authorities). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

/** Entra ID v2.0 for one tenant (AZURE_AUTHORITY_HOST): OpenID metadata + the client-credentials grant. Tokens: entra-token-{n}. */
export function startFakeEntra(tenant: string, clientId: string, clientSecret: string, lifetimeS = 2): Promise<FakeCloud> {
  return startEntra(tenant, lifetimeS, (form) => form.get('client_id') === clientId && form.get('client_secret') === clientSecret);
}

/**
 * Entra ID v2.0 for workload identity federation (AKS): the client-credentials grant with the
 * pod's projected service-account token as client_assertion, accepted while it is in
 * `fake.assertions`. Tokens: entra-token-{n}.
 */
export function startFakeEntraFederated(tenant: string, clientId: string, assertions: string[], lifetimeS = 2): Promise<FakeCloud & { assertions: string[] }> {
  return startEntra(
    tenant,
    lifetimeS,
    (form, fake) => form.get('client_id') === clientId && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && (fake as FakeCloud & { assertions: string[] }).assertions.includes(form.get('client_assertion') ?? ''),
    { assertions },
  ) as Promise<FakeCloud & { assertions: string[] }>;
}

function startEntra(tenant: string, lifetimeS: number, clientOk: (form: URLSearchParams, fake: FakeCloud) => boolean, extra: object = {}): Promise<FakeCloud> {
  return serve(createHttps(selfSigned()), Object.assign(newFake(lifetimeS), extra), (fake, req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const base = `${fake.url}/${tenant}`;
    if (path === `/${tenant}/v2.0/.well-known/openid-configuration`) {
      return json(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
      });
    }
    if (path === `/${tenant}/oauth2/v2.0/token` && req.method === 'POST') {
      const form = fake.hits.at(-1)!.form!;
      if (fake.failWith || !clientOk(form, fake)) {
        return json(res, fake.failWith ?? 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
      }
      const n = ++fake.issued;
      fake.expiresAt.set(`entra-token-${n}`, Date.now() + fake.lifetimeS * 1000);
      return json(res, 200, { token_type: 'Bearer', expires_in: fake.lifetimeS, ext_expires_in: fake.lifetimeS, access_token: `entra-token-${n}` });
    }
    json(res, 404, { error: 'not_found', error_description: `no ${path}` });
  }, 'https');
}

/** Google's STS for workload identity federation (an external_account file's token_url). Tokens: ya29.sts-{n}. */
export function startFakeSts(lifetimeS = 2): Promise<FakeCloud> {
  return serve(createHttp(), newFake(lifetimeS), (fake, _req, res) => {
    const form = fake.hits.at(-1)!.form;
    if (fake.failWith || form?.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') return json(res, fake.failWith ?? 400, { error: 'invalid_grant', error_description: 'refused' });
    const n = ++fake.issued;
    json(res, 200, { access_token: `ya29.sts-${n}`, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: fake.lifetimeS });
  }, 'http');
}

/** AWS STS's AssumeRoleWithWebIdentity (IRSA; reached through AWS_ENDPOINT_URL_STS). Keys: AKIDIRSA{n}, secret irsa-secret-{n}. */
export function startFakeAwsSts(lifetimeS = 2): Promise<FakeCloud> {
  return serve(createHttp(), newFake(lifetimeS), (fake, _req, res) => {
    const form = fake.hits.at(-1)!.form;
    if (fake.failWith || form?.get('Action') !== 'AssumeRoleWithWebIdentity') {
      res.writeHead(fake.failWith ?? 400, { 'content-type': 'text/xml' });
      return res.end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>refused</Message></Error></ErrorResponse>');
    }
    const n = ++fake.issued;
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
<Credentials><AccessKeyId>AKIDIRSA${n}</AccessKeyId><SecretAccessKey>irsa-secret-${n}</SecretAccessKey><SessionToken>irsa-session-${n}</SessionToken><Expiration>${new Date(Date.now() + fake.lifetimeS * 1000).toISOString()}</Expiration></Credentials>
<SubjectFromWebIdentityToken>system:serviceaccount:ai:gateway</SubjectFromWebIdentityToken>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/gateway/s${n}</Arn><AssumedRoleId>AROA:s${n}</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r${n}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`);
  }, 'http');
}

/** EC2 instance metadata with IMDSv2 required (HttpTokens: required): a session token, then the role and its keys. */
export interface FakeImds extends FakeCloud {
  /** Session tokens handed out by PUT /latest/api/token. */
  sessions: string[];
}

export const IMDS_ROLE = 'gateway-instance-role';

/** Keys: AKIDIMDS{n}, secret imds-secret-{n}, session token imds-session-{n}. */
export function startFakeImds(lifetimeS = 2): Promise<FakeImds> {
  const fake: FakeImds = Object.assign(newFake(lifetimeS), { sessions: [] as string[] });
  return serve(createHttp(), fake, (_f, req, res) => {
    if (fake.failWith) return json(res, fake.failWith, { message: 'unavailable' });
    const path = req.url ?? '';
    if (path === '/latest/api/token' && req.method === 'PUT') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return json(res, 400, { message: 'missing ttl' });
      const session = `imds-v2-session-${fake.sessions.length + 1}`;
      fake.sessions.push(session);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-aws-ec2-metadata-token-ttl-seconds': String(req.headers['x-aws-ec2-metadata-token-ttl-seconds']) });
      return res.end(session);
    }
    // IMDSv1 (no session token) is refused, as on an instance that requires v2.
    if (!fake.sessions.includes(String(req.headers['x-aws-ec2-metadata-token'] ?? ''))) return void res.writeHead(401).end();
    if (path === '/latest/meta-data/iam/security-credentials/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(IMDS_ROLE);
    }
    if (path === `/latest/meta-data/iam/security-credentials/${IMDS_ROLE}`) {
      const n = ++fake.issued;
      const expiration = Date.now() + fake.lifetimeS * 1000;
      fake.expiresAt.set(`AKIDIMDS${n}`, expiration);
      return json(res, 200, {
        Code: 'Success',
        LastUpdated: new Date().toISOString(),
        Type: 'AWS-HMAC',
        AccessKeyId: `AKIDIMDS${n}`,
        SecretAccessKey: `imds-secret-${n}`,
        Token: `imds-session-${n}`,
        Expiration: new Date(expiration).toISOString(),
      });
    }
    res.writeHead(404).end();
  }, 'http') as Promise<FakeImds>;
}

export const imdsSecret = (accessKeyId: string) => `imds-secret-${accessKeyId.replace('AKIDIMDS', '')}`;

/**
 * Azure managed identity: the IMDS token endpoint (/metadata/identity/oauth2/token, needs
 * `Metadata: true`; reached through AZURE_POD_IDENTITY_AUTHORITY_HOST) and App Service's
 * (/msi/token, needs X-IDENTITY-HEADER = `identityHeader`; IDENTITY_ENDPOINT). Tokens: mi-token-{n}.
 */
export function startFakeAzureMsi(identityHeader: string, lifetimeS = 3): Promise<FakeCloud> {
  return serve(createHttp(), newFake(lifetimeS), (fake, req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    // MSAL asks for the IMDS path with a trailing slash; Azure's IMDS answers both.
    const imds = url.pathname.replace(/\/$/, '') === '/metadata/identity/oauth2/token';
    if (!imds && url.pathname !== '/msi/token') return json(res, 404, { error: 'not_found' });
    if (imds ? req.headers.metadata !== 'true' : req.headers['x-identity-header'] !== identityHeader) {
      return json(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    }
    if (fake.failWith) return json(res, fake.failWith, { error: 'unavailable', error_description: 'the identity endpoint is unavailable' });
    const n = ++fake.issued;
    // Both give expires_on in epoch seconds; IMDS adds expires_in (strings, as Azure sends them).
    const expiresOn = Math.floor(Date.now() / 1000) + fake.lifetimeS;
    fake.expiresAt.set(`mi-token-${n}`, expiresOn * 1000);
    json(res, 200, {
      access_token: `mi-token-${n}`,
      expires_on: String(expiresOn),
      ...(imds ? { expires_in: String(fake.lifetimeS), ext_expires_in: String(fake.lifetimeS), not_before: String(expiresOn - fake.lifetimeS) } : { client_id: url.searchParams.get('client_id') ?? 'system' }),
      resource: url.searchParams.get('resource'),
      token_type: 'Bearer',
    });
  }, 'http');
}

const AWS_AMBIENT = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/**
 * Points the AWS and Google default chains at the fakes only: no ambient keys, profiles, EC2
 * metadata or gcloud login of the machine running the tests (plus `alsoUnset`).
 */
export function isolateCloudEnv(ecs: FakeCloud, metadata: FakeCloud, alsoUnset: string[] = []): void {
  const empty = mkdtempSync(join(tmpdir(), 'llm-extproc-clouds-'));
  const unset = [...AWS_AMBIENT, 'GOOGLE_APPLICATION_CREDENTIALS'];
  for (const v of [...unset, ...alsoUnset]) delete process.env[v];
  Object.assign(process.env, {
    AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
    AWS_CONFIG_FILE: join(empty, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ecs.url}/v2/credentials/pod`,
    CLOUDSDK_CONFIG: empty,
    GCE_METADATA_HOST: metadata.url.replace('http://', ''),
  });
}

/** The AWS default chain with every link empty but the last, EC2 instance metadata, which is `imds`. */
export function isolateAwsToImds(imds: FakeCloud): void {
  const empty = mkdtempSync(join(tmpdir(), 'llm-extproc-aws-'));
  for (const v of [...AWS_AMBIENT, 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_EC2_METADATA_DISABLED', 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'AWS_EC2_METADATA_V1_DISABLED']) delete process.env[v];
  Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'), AWS_CONFIG_FILE: join(empty, 'config'), AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
}

/**
 * DefaultAzureCredential sees only `set`: none of the machine's Entra, workload identity or
 * managed identity variables, and an empty Azure CLI config (so a developer's `az login`
 * cannot answer for a source under test).
 */
export function isolateAzureEnv(set: Record<string, string>): void {
  const vars = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_USERNAME', 'AZURE_PASSWORD', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST', 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'AZURE_TOKEN_CREDENTIALS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'DEFAULT_IDENTITY_CLIENT_ID'];
  for (const v of vars) delete process.env[v];
  Object.assign(process.env, { AZURE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'llm-extproc-az-')), ...set });
}
