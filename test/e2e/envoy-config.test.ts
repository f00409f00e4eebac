// Per-route configuration from Envoy itself (ExtProcPerRoute grpc_initial_metadata,
// route metadata `llm_extproc`), config reload, and request size limits, through a
// real Envoy.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendClusterNames } from '../../src/envoy/bootstrap.js';
import { openaiLike } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';

let a: FakeUpstream, b: FakeUpstream, c: FakeUpstream;
let gw: Gateway;

const baseConfig = () => ({
  defaultBackend: 'alpha',
  backends: {
    alpha: { provider: 'openai', endpoint: a.url },
    beta: { provider: 'openai', endpoint: b.url, authToken: { kind: 'Inline', inline: 'sk-beta' } },
  },
  limits: { maxRequestBytes: 64 * 1024 },
});

beforeAll(async () => {
  [a, b, c] = (await Promise.all(['alpha', 'beta', 'gamma'].map((l) => startFakeUpstream(openaiLike(l))))) as [FakeUpstream, FakeUpstream, FakeUpstream];
  gw = await startGateway(baseConfig(), {
    editBootstrap(boot) {
      const clusters = backendClusterNames(['alpha', 'beta']);
      const hcm = boot.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
      const routes = hcm.route_config.virtual_hosts[0].routes as unknown[];
      routes.unshift(
        {
          name: 'per-route-grpc-metadata',
          match: { prefix: '/team-beta/' },
          route: { cluster: clusters.get('beta'), prefix_rewrite: '/', timeout: '0s' },
          typed_per_filter_config: {
            'envoy.filters.http.ext_proc': {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
              overrides: {
                grpc_initial_metadata: [
                  { key: 'x-llm-backend', value: 'beta' },
                  { key: 'x-llm-model', value: 'model-pinned-by-envoy' },
                ],
              },
            },
          },
        },
        {
          name: 'per-route-metadata',
          match: { prefix: '/team-alpha-meta/' },
          route: { cluster: clusters.get('alpha'), timeout: '0s' },
          metadata: { filter_metadata: { llm_extproc: { backend: 'alpha', model: 'model-from-route-metadata' } } },
        },
        {
          name: 'per-route-metadata-passthrough',
          match: { prefix: '/raw-beta/' },
          route: { cluster: clusters.get('beta'), timeout: '0s' },
          metadata: { filter_metadata: { llm_extproc: { backend: 'beta', routeType: 'passthrough' } } },
        },
      );
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([a, b, c].map((u) => u?.close()));
});

describe('configured from Envoy routes', () => {
  it('ExtProcPerRoute grpc_initial_metadata selects the backend and pins the model', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/team-beta/v1`, apiKey: 'client' });
    const r = await client.chat.completions.create({ model: 'client-model', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(r.data.choices[0]!.message.content).toBe('Hello from beta');
    expect(r.response.headers.get('x-llm-backend')).toBe('beta');
    expect(JSON.parse(b.last().body.toString()).model).toBe('model-pinned-by-envoy');
    expect(b.last().headers.authorization).toBe('Bearer sk-beta');
  });

  it('route metadata (namespace llm_extproc, via request_attributes) selects the backend and model', async () => {
    const res = await fetch(`${gw.url}/team-alpha-meta/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llm-backend': 'beta' },
      body: JSON.stringify({ model: 'client-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llm-backend')).toBe('alpha');
    expect(JSON.parse(a.last().body.toString()).model).toBe('model-from-route-metadata');
  });

  it('route metadata routeType passthrough skips body processing', async () => {
    const before = await gw.messages();
    const res = await fetch(`${gw.url}/raw-beta/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"e","input":"x"}' });
    expect(res.status).toBe(200);
    expect(b.last().body.toString()).toBe('{"model":"e","input":"x"}');
    expect(b.last().headers.authorization).toBe('Bearer sk-beta');
    expect((await gw.messages()).request_body ?? 0).toBe(before.request_body ?? 0);
  });
});

describe('limits', () => {
  it('a body over limits.maxRequestBytes is a 413 request_too_large in the client dialect', async () => {
    const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    const anth = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: big });
    expect(anth.status).toBe(413);
    expect(await anth.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
  });
});

describe('config reload', () => {
  it('a good new file takes effect; a bad one is rejected and the old config keeps serving', async () => {
    const ask = () => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    const waitFor = async (want: string) => {
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        const r = await ask();
        if (r.headers.get('x-llm-backend') === want) return;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      throw new Error(`default backend never became ${want}`);
    };
    expect((await ask()).headers.get('x-llm-backend')).toBe('alpha');
    gw.writeConfig({ ...baseConfig(), defaultBackend: 'beta' });
    await waitFor('beta');
    expect(b.last().headers.authorization).toBe('Bearer sk-beta');

    gw.writeConfig({ ...baseConfig(), defaultBackend: 'does-not-exist', backends: { alpha: { provider: 'openai', endpoint: 'not a url' } } });
    await new Promise((ok) => setTimeout(ok, 600));
    const r = await ask();
    expect(r.status).toBe(200);
    expect(r.headers.get('x-llm-backend')).toBe('beta');
    const cfg = (await (await fetch(`${gw.adminUrl}/config`)).json()) as { defaultBackend: string; backends: { beta: { authToken: { inline: string } } } };
    expect(cfg.defaultBackend).toBe('beta');
    expect(cfg.backends.beta.authToken.inline).toBe('[redacted]');
  });
});

describe("Envoy's own error replies", () => {
  it('an unreachable provider is a JSON error in the client dialect, not Envoy plain text', async () => {
    // Envoy's cluster for alpha points at this fake: closing it makes the provider unreachable.
    await a.close();
    const openaiRes = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'alpha' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(openaiRes.status).toBe(503);
    expect(openaiRes.headers.get('content-type')).toBe('application/json');
    expect(await openaiRes.json()).toMatchObject({ error: { type: 'api_error', code: 'upstream_unavailable', message: expect.stringContaining('could not be reached') } });
    const anthropicRes = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-llm-backend': 'alpha' }, body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) });
    // alpha is an OpenAI backend: the Anthropic client's request is translated, and the failure comes back in its shape.
    expect(anthropicRes.status).toBe(503);
    expect(await anthropicRes.json()).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringContaining('upstream_unavailable') } });
  });
});
