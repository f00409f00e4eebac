// The AWS default chain's last link, EC2 instance metadata, against a fake IMDS on
// 127.0.0.1 (AWS_EC2_METADATA_SERVICE_ENDPOINT) that requires IMDSv2 and hands out
// 2-second role keys: the session token is fetched with PUT first, the keys are refreshed
// before they expire, and an unreachable endpoint is credential_unavailable. The env is
// this file's own (vitest forks a process per file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsDefaultChain } from '../../src/auth/aws-chain.js';
import { SigV4Authorizer } from '../../src/auth/sigv4.js';
import { GatewayError } from '../../src/errors.js';
import { type FakeImds, IMDS_ROLE, isolateAwsToImds, startFakeImds } from './fake-clouds.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
let imds: FakeImds;

beforeAll(async () => {
  imds = await startFakeImds(2);
  isolateAwsToImds(imds);
});

afterAll(async () => {
  await imds?.close();
});

const REQ = { method: 'POST', authority: 'bedrock-runtime.us-east-1.amazonaws.com', path: '/model/m/converse', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') };
const keyOf = (h: Record<string, string>) => /Credential=([^/]+)\//.exec(h.authorization ?? '')?.[1];

describe('AWS default credential chain (EC2 instance metadata, IMDSv2)', () => {
  it('gets a session token, then the role\'s keys; shares them while fresh and fetches new ones before expiry', async () => {
    const auth = new SigV4Authorizer(awsDefaultChain('backend "b"'), { region: 'us-east-1', service: 'bedrock' });
    const first = await Promise.all([auth.authorize(REQ), auth.authorize(REQ), auth.authorize(REQ)]);
    expect(first.map(keyOf)).toEqual(['AKIDIMDS1', 'AKIDIMDS1', 'AKIDIMDS1']);
    expect(first[0]!['x-amz-security-token']).toBe('imds-session-1');
    expect(imds.issued).toBe(1);
    // IMDSv2: PUT for a session token, then the role name and its keys with that token.
    expect(imds.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/', `GET /latest/meta-data/iam/security-credentials/${IMDS_ROLE}`]);
    expect(imds.hits.slice(1).map((h) => h.headers['x-aws-ec2-metadata-token'])).toEqual([imds.sessions[0], imds.sessions[0]]);
    // 2 s keys are refreshed at half their lifetime.
    await sleep(1100);
    const later = await auth.authorize(REQ);
    expect(keyOf(later)).toBe('AKIDIMDS2');
    expect(later['x-amz-security-token']).toBe('imds-session-2');
    expect(imds.hits.at(-1)!.path).toBe(`/latest/meta-data/iam/security-credentials/${IMDS_ROLE}`);
  });

  it('an instance metadata endpoint that is down is credential_unavailable, naming no secret', async () => {
    const auth = new SigV4Authorizer(awsDefaultChain('backend "b"'), { region: 'us-east-1', service: 'bedrock' });
    expect(keyOf(await auth.authorize(REQ))).toMatch(/^AKIDIMDS\d+$/);
    imds.down = true;
    try {
      // Past the keys' expiry: nothing cached may be used any more.
      await sleep(2100);
      const err = (await auth.authorize(REQ).catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('credential_unavailable');
      expect(err.message).toContain('AWS default credential chain');
      expect(err.message).not.toMatch(/imds-secret|imds-session|imds-v2-session/);
    } finally {
      imds.down = false;
    }
  });
});
