// Azure OpenAI: config rules and path building that the golden fixtures do not show.
import { describe, expect, it } from 'vitest';
import { ConfigProblems } from '../../../src/config/compile.js';
import { config, drive } from '../../helpers/drive.js';

const backend = { provider: 'azureopenai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } };
const cfgWith = (b: Record<string, unknown>, extra: Record<string, unknown> = {}) => config({ defaultBackend: 'b', backends: { b: { ...backend, ...b } }, ...extra });
const chat = { messages: [{ role: 'user', content: 'hi' }] };

describe('azureopenai config', () => {
  it('requires an endpoint, and says so with its path', () => {
    let err: unknown;
    try {
      config({ backends: { azure: { provider: 'azureopenai', authToken: { kind: 'Inline', inline: 'k' } } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigProblems);
    expect((err as ConfigProblems).problems.join('\n')).toMatch(/^backends\.azure\.endpoint: Required/m);
  });

  it('takes authToken kind AzureAD (Entra ID), which other providers refuse', () => {
    const c = cfgWith({ authToken: { kind: 'AzureAD' } });
    expect(c.backends.get('b')!.authorizer).toBeDefined();
    expect(c.backends.get('b')!.keyAuth.kind).toBe('none');
    expect(() => config({ backends: { o: { provider: 'openai', authToken: { kind: 'AzureAD' } } } })).toThrow(/backends\.o\.authToken: kind AzureAD/);
  });

  it('rejects an endpoint with a path', () => {
    expect(() => cfgWith({ endpoint: 'https://r.openai.azure.com/openai' })).toThrow();
  });
});

describe('azureopenai paths', () => {
  it('encodes the deployment as one path segment', async () => {
    const res = await drive(cfgWith({ deployment: 'my deploy/1' }), { path: '/v1/chat/completions', body: chat });
    expect(res.upstream!.headers[':path']).toBe('/openai/deployments/my%20deploy%2F1/chat/completions?api-version=2024-10-21');
  });

  it('a backend model names the deployment when none is set, and replaces the body model', async () => {
    const res = await drive(cfgWith({ model: 'gpt-4o' }), { path: '/v1/chat/completions', body: { model: 'x', ...chat } });
    expect(res.upstream!.headers[':path']).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(JSON.parse(res.upstream!.body!.toString()).model).toBe('gpt-4o');
  });

  it('keeps other client query parameters and prefers the backend api version', async () => {
    const res = await drive(cfgWith({ deployment: 'd', apiVersion: '2025-01-01-preview' }), { path: '/v1/chat/completions?api-version=2024-02-01&foo=bar', body: chat });
    expect(res.upstream!.headers[':path']).toBe('/openai/deployments/d/chat/completions?api-version=2025-01-01-preview&foo=bar');
  });

  it('legacy completions go to the deployment completions path', async () => {
    const res = await drive(cfgWith({ deployment: 'instruct' }), { path: '/v1/completions', body: { prompt: 'hi' } });
    expect(res.upstream!.headers[':path']).toBe('/openai/deployments/instruct/completions?api-version=2024-10-21');
  });

  it('no deployment and no model anywhere is a 400 missing_model', async () => {
    const res = await drive(cfgWith({}), { path: '/v1/chat/completions', body: chat });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ error: { code: 'missing_model', param: 'model' } });
  });

  it('a templated deployment whose capture is missing is a 400 template_value_missing', async () => {
    const res = await drive(cfgWith({ deployment: '$(headers.x-deployment)' }), { path: '/v1/chat/completions', body: chat });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ error: { code: 'template_value_missing' } });
    const ok = await drive(cfgWith({ deployment: '$(headers.x-deployment)' }), { path: '/v1/chat/completions', headers: { 'x-deployment': 'eu-4o' }, body: chat });
    expect(ok.upstream!.headers[':path']).toBe('/openai/deployments/eu-4o/chat/completions?api-version=2024-10-21');
  });

  it('upstream errors pass through with their status', async () => {
    const err = { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } };
    const res = await drive(cfgWith({ deployment: 'gone' }), { path: '/v1/chat/completions', body: chat }, () => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      chunks: [Buffer.from(JSON.stringify(err))],
    }));
    expect(res.client!.status).toBe(404);
    expect(JSON.parse(res.client!.body.toString())).toEqual(err);
  });
});
