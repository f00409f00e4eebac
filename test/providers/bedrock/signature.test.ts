// SigV4 for Bedrock, checked independently of @smithy/signature-v4: a small
// reference signer written from AWS's specification (node:crypto only) is first
// proven against AWS's published test-suite vectors, then must agree with the
// gateway's signature for Bedrock requests, including one signed by the processor.
import { describe, expect, it } from 'vitest';
import { SigV4Authorizer, signV4 } from '../../../src/auth/sigv4.js';
import { GatewayError } from '../../../src/errors.js';
import { config, drive } from '../../helpers/drive.js';
import { AKID, SECRET, referenceAuthorization, sha256 } from '../../helpers/sigv4-reference.js';

const staticSecret = (v: string | undefined) => ({ describe: 'test', value: () => v });

describe('reference signer', () => {
  const base = { method: 'GET', path: '/', headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, payloadHash: sha256('') };
  it('matches AWS test suite get-vanilla', () => {
    expect(referenceAuthorization({ ...base, query: [] }, '20150830T123600Z', 'us-east-1', 'service')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
  it('matches AWS test suite get-vanilla-query-order-key-case', () => {
    const auth = referenceAuthorization({ ...base, query: [['Param2', 'value2'], ['Param1', 'value1']] }, '20150830T123600Z', 'us-east-1', 'service');
    expect(auth.endsWith('Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500')).toBe(true);
  });
});

describe('signV4', () => {
  const date = new Date('2015-08-30T12:36:00Z');
  const body = Buffer.from('{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}');
  const req = {
    method: 'POST',
    authority: 'bedrock-runtime.us-east-1.amazonaws.com',
    path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    headers: { 'content-type': 'application/json', 'user-agent': 'changed-by-envoy', 'x-request-id': 'abc' },
    body,
  };

  it('agrees with the reference signer for a Bedrock Converse request (model id encoded twice in the canonical path)', async () => {
    const out = await signV4(req, { accessKeyId: AKID, secretAccessKey: SECRET }, { region: 'us-east-1', service: 'bedrock' }, date);
    expect(out['x-amz-date']).toBe('20150830T123600Z');
    expect(out['x-amz-content-sha256']).toBe(sha256(body));
    expect(out['x-amz-security-token']).toBeUndefined();
    const want = referenceAuthorization(
      {
        method: 'POST',
        path: req.path,
        query: [],
        headers: { 'content-type': 'application/json', host: req.authority, 'x-amz-content-sha256': sha256(body), 'x-amz-date': '20150830T123600Z' },
        payloadHash: sha256(body),
      },
      '20150830T123600Z',
      'us-east-1',
      'bedrock',
    );
    expect(out.authorization).toBe(want);
  });

  it('signs the query string and the session token', async () => {
    const withQuery = { ...req, authority: '127.0.0.1:8443', path: '/model/m/converse?b=2&a=x%20y' };
    const out = await signV4(withQuery, { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken: 'TOKEN' }, { region: 'eu-west-3', service: 'bedrock' }, date);
    expect(out['x-amz-security-token']).toBe('TOKEN');
    const want = referenceAuthorization(
      {
        method: 'POST',
        path: '/model/m/converse',
        query: [['b', '2'], ['a', 'x y']],
        headers: { 'content-type': 'application/json', host: '127.0.0.1:8443', 'x-amz-content-sha256': sha256(body), 'x-amz-date': '20150830T123600Z', 'x-amz-security-token': 'TOKEN' },
        payloadHash: sha256(body),
      },
      '20150830T123600Z',
      'eu-west-3',
      'bedrock',
    );
    expect(out.authorization).toBe(want);
  });

  it('fails closed when a credential is missing', async () => {
    const auth = new SigV4Authorizer({ accessKeyId: staticSecret(AKID), secretAccessKey: staticSecret(undefined) }, { region: 'us-east-1', service: 'bedrock' });
    await expect(auth.authorize(req)).rejects.toBeInstanceOf(GatewayError);
  });
});

describe('the processor signs what the upstream receives', () => {
  it('path, authority, final body and x-amz headers verify with the reference signer', async () => {
    const creds = 'test/fixtures/openai-bedrock/_creds/';
    const cfg = config({
      defaultBackend: 'b',
      backends: {
        b: {
          provider: 'bedrock',
          region: 'us-west-2',
          aws: { accessKeyId: { file: `${creds}access-key-id` }, secretAccessKey: { file: `${creds}secret-access-key` }, sessionToken: { file: `${creds}session-token` } },
        },
      },
    });
    const res = await drive(cfg, {
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-client' },
      body: { model: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: 'Hi' }] },
    });
    const up = res.upstream!;
    expect(up.headers[':authority']).toBe('bedrock-runtime.us-west-2.amazonaws.com');
    const amzDate = up.headers['x-amz-date']!;
    const signedBody = up.body!;
    const want = referenceAuthorization(
      {
        method: 'POST',
        path: up.headers[':path']!,
        query: [],
        headers: {
          'content-type': up.headers['content-type']!,
          host: up.headers[':authority']!,
          'x-amz-content-sha256': sha256(signedBody),
          'x-amz-date': amzDate,
          'x-amz-security-token': up.headers['x-amz-security-token']!,
        },
        payloadHash: sha256(signedBody),
      },
      amzDate,
      'us-west-2',
      'bedrock',
    );
    expect(up.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLESESSIONTOKEN');
    expect(up.headers.authorization).toBe(want);
  });
});
