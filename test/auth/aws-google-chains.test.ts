// The AWS default chain against a fake ECS / pod identity endpoint and a fake STS (IRSA
// web identity), Google ADC against a fake GCE metadata server and a fake STS (workload
// identity federation file), all issuing 2-second credentials: cached while fresh, new
// ones after (half the lifetime early), never the expired ones. Env is this file's own
// (vitest runs each file in its own process).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsDefaultChain } from '../../src/auth/aws-chain.js';
import { googleDefaultCredentials } from '../../src/auth/google-adc.js';
import { SigV4Authorizer } from '../../src/auth/sigv4.js';
import { GatewayError } from '../../src/errors.js';
import { type FakeCloud, isolateCloudEnv, startFakeAwsSts, startFakeEcs, startFakeMetadata, startFakeSts } from './fake-clouds.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
let ecs: FakeCloud, metadata: FakeCloud, sts: FakeCloud, awsSts: FakeCloud;

beforeAll(async () => {
  ecs = await startFakeEcs(2);
  metadata = await startFakeMetadata(2);
  sts = await startFakeSts(2);
  awsSts = await startFakeAwsSts(2);
  isolateCloudEnv(ecs, metadata);
});

afterAll(async () => {
  await Promise.all([ecs?.close(), metadata?.close(), sts?.close(), awsSts?.close()]);
});

const REQ = { method: 'POST', authority: 'bedrock-runtime.us-east-1.amazonaws.com', path: '/model/m/converse', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') };
const keyOf = (h: Record<string, string>) => /Credential=([^/]+)\//.exec(h.authorization ?? '')?.[1];

describe('AWS default credential chain (ECS container credentials)', () => {
  it('signs with the endpoint\'s keys, reuses them while fresh and fetches new ones before they expire', async () => {
    const auth = new SigV4Authorizer(awsDefaultChain('backend "b"'), { region: 'us-east-1', service: 'bedrock' });
    const first = await Promise.all([auth.authorize(REQ), auth.authorize(REQ), auth.authorize(REQ)]);
    expect(first.map(keyOf)).toEqual(['AKIDECS1', 'AKIDECS1', 'AKIDECS1']);
    expect(first[0]!['x-amz-security-token']).toBe('ecs-session-1');
    expect(ecs.issued).toBe(1);
    // 2 s keys are refreshed at half their lifetime: past 1 s the next request gets new ones.
    await sleep(1100);
    const later = await auth.authorize(REQ);
    expect(keyOf(later)).toBe('AKIDECS2');
    expect(later['x-amz-security-token']).toBe('ecs-session-2');
    expect(ecs.hits.at(-1)!.path).toBe('/v2/credentials/pod');
  });

  it('web identity (IRSA): the projected token file is exchanged at STS for role keys, again once they expire', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-irsa-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'eks-projected-token-1');
    // Web identity comes before container credentials in the chain.
    Object.assign(process.env, { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gateway', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ENDPOINT_URL_STS: awsSts.url, AWS_REGION: 'us-east-1' });
    try {
      const auth = new SigV4Authorizer(awsDefaultChain('backend "b"'), { region: 'us-east-1', service: 'bedrock' });
      const first = await auth.authorize(REQ);
      expect(keyOf(first)).toBe('AKIDIRSA1');
      expect(first['x-amz-security-token']).toBe('irsa-session-1');
      const call = awsSts.hits.at(-1)!.form!;
      expect(call.get('RoleArn')).toBe('arn:aws:iam::123456789012:role/gateway');
      expect(call.get('WebIdentityToken')).toBe('eks-projected-token-1');
      writeFileSync(tokenFile, 'eks-projected-token-2');
      await sleep(1100);
      expect(keyOf(await auth.authorize(REQ))).toBe('AKIDIRSA2');
      expect(awsSts.hits.at(-1)!.form!.get('WebIdentityToken')).toBe('eks-projected-token-2');
    } finally {
      for (const v of ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ENDPOINT_URL_STS', 'AWS_REGION']) delete process.env[v];
    }
  });

  it('a failing endpoint is credential_unavailable (503), naming no secret', async () => {
    ecs.failWith = 500;
    try {
      const auth = new SigV4Authorizer(awsDefaultChain('backend "b"'), { region: 'us-east-1', service: 'bedrock' });
      const err = (await auth.authorize(REQ).catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('AWS default credential chain');
      expect(err.message).not.toMatch(/ecs-secret|ecs-session/);
    } finally {
      ecs.failWith = undefined;
    }
  });
});

describe('Google Application Default Credentials (metadata server)', () => {
  it('recovers once a metadata server that was not there at first answers (GKE\'s can lag a new pod)', async () => {
    const host = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = '127.0.0.1:9';
    const adc = googleDefaultCredentials('backend "v"', { projectId: 'my-project' });
    try {
      await expect(adc()).rejects.toThrow(/Application Default Credentials/);
    } finally {
      process.env.GCE_METADATA_HOST = host;
    }
    expect(await adc()).toMatch(/^ya29\.metadata-\d+$/);
  });

  it('gets the default service account\'s token from the metadata server and a new one once it expires', async () => {
    const adc = googleDefaultCredentials('backend "v"', { projectId: 'my-project' });
    const t1 = await adc();
    expect(t1).toMatch(/^ya29\.metadata-\d+$/);
    const tokenHit = metadata.hits.find((h) => h.path.includes('/service-accounts/default/token'))!;
    expect(tokenHit.headers['metadata-flavor']).toBe('Google');
    expect(decodeURIComponent(tokenHit.path)).toContain('https://www.googleapis.com/auth/cloud-platform');
    await sleep(2100);
    const t2 = await adc();
    expect(t2).not.toBe(t1);
  });

  it('keeps an hour-long token (the library caches it) and shares it between concurrent requests', async () => {
    metadata.lifetimeS = 3600;
    try {
      const adc = googleDefaultCredentials('backend "v"', { projectId: 'my-project' });
      const before = metadata.issued;
      const tokens = await Promise.all([adc(), adc(), adc()]);
      expect(await adc()).toBe(tokens[0]);
      expect(new Set(tokens).size).toBe(1);
      expect(metadata.issued - before).toBe(1);
    } finally {
      metadata.lifetimeS = 2;
    }
  });

  it('a metadata server that refuses is credential_unavailable', async () => {
    metadata.failWith = 404;
    try {
      const err = (await googleDefaultCredentials('backend "v"', { projectId: 'my-project' })().catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('Application Default Credentials');
    } finally {
      metadata.failWith = undefined;
    }
  });

  it('GOOGLE_APPLICATION_CREDENTIALS with a workload identity federation file: the subject token (re-read) is exchanged at its STS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-wif-'));
    const subject = join(dir, 'token');
    writeFileSync(subject, 'projected-sa-token-1');
    writeFileSync(
      join(dir, 'wif.json'),
      JSON.stringify({
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gke/providers/cluster',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${sts.url}/v1/token`,
        credential_source: { file: subject },
      }),
    );
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'wif.json');
    try {
      const adc = googleDefaultCredentials('backend "v"', { projectId: 'my-project' });
      expect(await adc()).toBe('ya29.sts-1');
      expect(sts.hits.at(-1)!.form!.get('subject_token')).toBe('projected-sa-token-1');
      // Kubernetes rotates the projected token in place; the expired access token is exchanged again with the new one.
      writeFileSync(subject, 'projected-sa-token-2');
      await sleep(2100);
      expect(await adc()).toBe(`ya29.sts-${sts.issued}`);
      expect(sts.hits.at(-1)!.form!.get('subject_token')).toBe('projected-sa-token-2');
    } finally {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    }
  });
});
