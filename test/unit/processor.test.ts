// The processor's replies to Envoy's messages, without Envoy: header hygiene, auth
// placement, passthrough mode overrides, content-length, error shapes.
import { describe, expect, it } from 'vitest';
import { tapLogs } from '../../src/logger.js';
import { config, drive } from '../helpers/drive.js';

const base = {
  defaultBackend: 'openai',
  backends: {
    openai: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'sk-gw' }, routes: { '/v1/models': 'passthrough' } },
    keyless: { provider: 'openai', endpoint: 'http://127.0.0.1:10' },
    custom: { provider: 'openai', endpoint: 'https://example.com', authHeaderOverride: { headerName: 'api-key', prefix: '' }, authToken: { kind: 'Inline', inline: 'k' } },
    prefixed: { provider: 'openai', endpoint: 'https://example.com', authHeaderOverride: { headerName: 'x-auth', prefix: 'Token ' }, authToken: { kind: 'Inline', inline: 'k' } },
    unset: { provider: 'openai', authToken: { kind: 'SecretRef', secretRef: { env: 'LLM_EXTPROC_TEST_UNSET_VAR' } } },
  },
};
const cfg = config(base);
const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('request headers sent upstream', () => {
  it('injects the key, removes every client credential and x-llm-* header, routes by x-llm-backend', async () => {
    const r = await drive(cfg, { path: '/v1/chat/completions', body: chat, headers: { authorization: 'Bearer client', 'x-api-key': 'c', 'api-key': 'c', 'x-goog-api-key': 'c', 'x-llm-backend': 'openai', 'x-llm-extra': 'v' } });
    const h = r.upstream!.headers;
    expect(h.authorization).toBe('Bearer sk-gw');
    for (const k of ['x-api-key', 'api-key', 'x-goog-api-key', 'x-llm-extra']) expect(h[k]).toBeUndefined();
    expect(h['x-llm-backend']).toBe('openai');
    expect(h[':authority']).toBe('127.0.0.1:9');
    const reply = r.replies[1]!.request_body!.response!;
    expect(reply.clear_route_cache).toBe(true);
    // Body untouched when nothing must change: no body mutation, content-length kept.
    expect(reply.body_mutation).toBeUndefined();
  });

  it('a client-sent x-llm-backend is always overwritten with the chosen backend', async () => {
    const c = config({ ...base, selectorHeader: 'aigw-backend-selector' });
    const r = await drive(c, { path: '/v1/chat/completions', body: chat, headers: { 'x-llm-backend': 'keyless', 'aigw-backend-selector': 'custom' } });
    expect(r.upstream!.headers['x-llm-backend']).toBe('custom');
    expect(r.upstream!.headers['aigw-backend-selector']).toBeUndefined();
  });

  it('authHeaderOverride places the key with its prefix', async () => {
    const a = await drive(cfg, { path: '/v1/chat/completions', body: chat, headers: { 'x-llm-backend': 'custom', authorization: 'Bearer c' } });
    expect(a.upstream!.headers).toMatchObject({ 'api-key': 'k' });
    expect(a.upstream!.headers.authorization).toBeUndefined();
    const b = await drive(cfg, { path: '/v1/chat/completions', body: chat, headers: { 'x-llm-backend': 'prefixed' } });
    expect(b.upstream!.headers['x-auth']).toBe('Token k');
  });

  it('without an authToken the client credential is left alone', async () => {
    const r = await drive(cfg, { path: '/v1/chat/completions', body: chat, headers: { 'x-llm-backend': 'keyless', authorization: 'Bearer local' } });
    expect(r.upstream!.headers.authorization).toBe('Bearer local');
  });

  it('an unset SecretRef fails closed (503) instead of forwarding unauthenticated', async () => {
    const r = await drive(cfg, { path: '/v1/chat/completions', body: chat, headers: { 'x-llm-backend': 'unset' } });
    expect(r.immediate?.status).toBe(503);
    expect(JSON.stringify(r.immediate?.body)).toContain('credential_unavailable');
    expect(JSON.stringify(r.immediate?.body)).toContain('LLM_EXTPROC_TEST_UNSET_VAR');
  });

  it('a changed body gets a matching content-length', async () => {
    const pinned = config({ ...base, backends: { ...base.backends, openai: { ...base.backends.openai, model: 'gpt-4o' } } });
    const r = await drive(pinned, { path: '/v1/chat/completions', body: chat });
    expect(JSON.parse(r.upstream!.body!.toString()).model).toBe('gpt-4o');
    expect(r.upstream!.headers['content-length']).toBe(String(r.upstream!.body!.length));
  });
});

describe('passthrough', () => {
  it('skips both bodies with a mode override at request headers, auth still applied', async () => {
    const r = await drive(cfg, { method: 'GET', path: '/v1/models', headers: { authorization: 'Bearer client' } });
    expect(r.replies[0]!.mode_override).toEqual({ request_body_mode: 0, response_body_mode: 0 });
    expect(r.upstream!.headers.authorization).toBe('Bearer sk-gw');
    expect(r.replies).toHaveLength(1);
  });
});

describe('errors', () => {
  it('in the dialect of the client path', async () => {
    const o = await drive(cfg, { path: '/v1/chat/completions', body: '{nope' });
    expect(o.immediate).toMatchObject({ status: 400, body: { error: { code: 'invalid_json', type: 'invalid_request_error', param: null } }, headers: { 'content-type': 'application/json' } });
    const a = await drive(cfg, { path: '/v1/messages', body: '[1]', headers: { 'anthropic-version': '2023-06-01' } });
    expect(a.immediate).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
    const g = await drive(config({ backends: { a: { provider: 'openai' } } }), { path: '/v1beta/models/gemini-2.0-flash:generateContent', body: {} });
    expect(g.immediate).toMatchObject({ status: 404, body: { error: { code: 404, status: 'NOT_FOUND' } } });
  });

  it('an endpoint the provider cannot serve is 404 unsupported_endpoint', async () => {
    const r = await drive(cfg, { path: '/v1/audio/speech', body: { model: 'tts-1', input: 'x' } });
    expect(r.immediate).toMatchObject({ status: 404, body: { error: { code: 'unsupported_endpoint' } } });
  });

  it('an unexpected failure is a 500 internal_error, not a crash', async () => {
    const broken = config(base);
    const backend = broken.backends.get('openai')!;
    backend.provider = {
      ...backend.provider,
      translator: () => {
        throw new TypeError('boom');
      },
    };
    const r = await drive(broken, { path: '/v1/chat/completions', body: chat });
    expect(r.immediate).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
    expect(JSON.stringify(r.immediate!.body)).not.toContain('boom');
  });
});

describe('GET /v1/models on a completions route', () => {
  const c = config({
    defaultBackend: 'a',
    backends: {
      a: { provider: 'openai', models: ['gpt-4o-mini', 'gpt-4o'] },
      b: { provider: 'openai', endpoint: 'http://127.0.0.1:11434', model: 'llama3.2' },
      c: { provider: 'openai', routes: { '/v1/models': 'passthrough' } },
    },
  });
  it('lists every backend model when the default applies, or the selected backend only', async () => {
    const all = await drive(c, { method: 'GET', path: '/v1/models' });
    expect(all.immediate).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect((all.immediate!.body as { data: { id: string; owned_by: string }[] }).data.map((m) => [m.id, m.owned_by])).toEqual([
      ['gpt-4o-mini', 'a'],
      ['gpt-4o', 'a'],
      ['llama3.2', 'b'],
    ]);
    const one = await drive(c, { method: 'GET', path: '/v1/models', headers: { 'x-llm-backend': 'b' } });
    expect(one.immediate!.body).toMatchObject({ object: 'list', data: [{ id: 'llama3.2', object: 'model', owned_by: 'b' }] });
    const single = await drive(c, { method: 'GET', path: '/v1/models/gpt-4o' });
    expect(single.immediate!.body).toMatchObject({ id: 'gpt-4o', object: 'model' });
    const usage: Record<string, unknown>[] = [];
    const stop = tapLogs((l) => usage.push(JSON.parse(l) as Record<string, unknown>));
    const missing = await drive(c, { method: 'GET', path: '/v1/models/nope' });
    const malformed = await drive(c, { method: 'GET', path: '/v1/models/%E0%A4%A' });
    stop();
    expect(missing.immediate).toMatchObject({ status: 404, body: { error: { code: 'model_not_found' } } });
    expect(malformed.immediate).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', param: 'model' } } });
    // Counted as what the client got, once.
    expect(usage.filter((l) => l.msg === 'usage').map((l) => [l.path, l.status, l.errorType])).toEqual([
      ['/v1/models/nope', 404, 'model_not_found'],
      ['/v1/models/%E0%A4%A', 400, 'invalid_request'],
    ]);
  });
  it('a passthrough /v1/models still goes to the provider', async () => {
    const r = await drive(c, { method: 'GET', path: '/v1/models', headers: { 'x-llm-backend': 'c' } });
    expect(r.immediate).toBeUndefined();
    expect(r.upstream!.headers[':path']).toBe('/v1/models');
  });
});

describe('Passthrough across dialects', () => {
  const c = config({
    backends: {
      ant: { provider: 'anthropic', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Passthrough' } },
      oai: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Passthrough' } },
    },
  });
  it('moves an OpenAI SDK Bearer key into x-api-key for Anthropic, and x-api-key into Bearer for OpenAI', async () => {
    const a = await drive(c, { path: '/v1/chat/completions', headers: { 'x-llm-backend': 'ant', authorization: 'Bearer sk-ant-user' }, body: { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] } });
    expect(a.upstream!.headers['x-api-key']).toBe('sk-ant-user');
    expect(a.upstream!.headers.authorization).toBeUndefined();
    const o = await drive(c, { path: '/v1/chat/completions', headers: { 'x-llm-backend': 'oai', 'x-api-key': 'sk-user' }, body: { model: 'gpt', messages: [] } });
    expect(o.upstream!.headers.authorization).toBe('Bearer sk-user');
    expect(o.upstream!.headers['x-api-key']).toBeUndefined();
    const same = await drive(c, { path: '/v1/chat/completions', headers: { 'x-llm-backend': 'oai', authorization: 'Bearer tok' }, body: { model: 'gpt', messages: [] } });
    expect(same.upstream!.headers.authorization).toBe('Bearer tok');
  });
});
