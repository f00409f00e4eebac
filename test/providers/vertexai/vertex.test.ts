// Vertex AI through the real processor (drive()), with the OAuth2 token minted
// from a service-account key against a local fake token endpoint. Also the
// Anthropic-dialect cells (Claude on Vertex), which have no fixture folder.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/usage/sse.js';
import { config, drive, splitEvery } from '../../helpers/drive.js';
import { type FakeTokenServer, serviceAccountJson, startTokenServer, testKeyPair } from './fake-token-server.js';

const ENV = 'LLM_EXTPROC_TEST_VERTEX_SA_KEY';
const keys = testKeyPair();
let server: FakeTokenServer;

beforeAll(async () => {
  server = await startTokenServer(keys.publicKey);
  process.env[ENV] = serviceAccountJson(keys.privatePem);
});
afterAll(async () => {
  delete process.env[ENV];
  await server.close();
});
beforeEach(() => {
  server.assertions.length = 0;
  server.script.length = 0;
});

function vertexConfig(extra: Record<string, unknown> = {}) {
  return config({
    defaultBackend: 'v',
    backends: {
      v: { provider: 'vertexai', projectId: 'my-project', location: 'us-central1', endpoint: 'http://127.0.0.1:9', serviceAccountKey: { env: ENV }, tokenEndpoint: server.url, ...extra },
    },
  });
}

const CHAT = { model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] };
const GEMINI_PATH = '/v1/projects/my-project/locations/us-central1/publishers/google/models';
const CLAUDE_PATH = '/v1/projects/my-project/locations/us-central1/publishers/anthropic/models';

describe('vertexai auth', () => {
  it('puts a token minted from the service-account key on the upstream request, replacing client credentials', async () => {
    const res = await drive(vertexConfig(), {
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-client', 'x-api-key': 'client', 'x-goog-api-key': 'client' },
      body: CHAT,
    });
    expect(res.immediate).toBeUndefined();
    const h = res.upstream!.headers;
    expect(h[':path']).toBe(`${GEMINI_PATH}/gemini-2.0-flash:generateContent`);
    expect(h.authorization).toMatch(/^Bearer ya29\.test-token-\d+$/);
    expect(h['x-api-key']).toBeUndefined();
    expect(h['x-goog-api-key']).toBeUndefined();
    expect(server.assertions).toHaveLength(1);
    expect(server.assertions[0]!.signatureValid).toBe(true);
    expect(server.assertions[0]!.claims.scope).toBe('https://www.googleapis.com/auth/cloud-platform');
  });

  it('reuses the cached token across requests of one backend', async () => {
    const cfg = vertexConfig();
    const a = await drive(cfg, { path: '/v1/chat/completions', body: CHAT });
    const b = await drive(cfg, { path: '/v1beta/models/gemini-2.0-flash:generateContent', body: { contents: [{ parts: [{ text: 'x' }] }] } });
    expect(b.upstream!.headers.authorization).toBe(a.upstream!.headers.authorization);
    expect(server.assertions).toHaveLength(1);
  });

  it('answers 503 credential_unavailable in the client dialect when no token can be had', async () => {
    server.script.push({ status: 401, body: { error: 'invalid_client' } }, { status: 401, body: { error: 'invalid_client' } });
    const openai = await drive(vertexConfig(), { path: '/v1/chat/completions', body: CHAT });
    expect(openai.immediate?.status).toBe(503);
    expect(openai.immediate?.body).toMatchObject({ error: { code: 'credential_unavailable', type: 'api_error' } });
    const gemini = await drive(vertexConfig(), { path: '/v1beta/models/gemini-2.0-flash:generateContent', body: { contents: [] } });
    expect(gemini.immediate?.body).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
  });

  it('answers 503 when the key variable is empty', async () => {
    const res = await drive(vertexConfig({ serviceAccountKey: { env: `${ENV}_UNSET` } }), { path: '/v1/chat/completions', body: CHAT });
    expect(res.immediate?.status).toBe(503);
    expect(JSON.stringify(res.immediate?.body)).toContain(`${ENV}_UNSET`);
  });

  it('without a key, forwards the client bearer (authToken Passthrough) and refuses a request without one; without either, ADC that finds nothing is a 503', async () => {
    const pass = config({ defaultBackend: 'v', backends: { v: { provider: 'vertexai', projectId: 'p', location: 'us-central1', authToken: { kind: 'Passthrough' } } } });
    const ok = await drive(pass, { path: '/v1/chat/completions', headers: { authorization: 'Bearer ya29.user' }, body: CHAT });
    expect(ok.upstream!.headers.authorization).toBe('Bearer ya29.user');
    const missing = await drive(pass, { path: '/v1/chat/completions', body: CHAT });
    expect(missing.immediate?.status).toBe(401);
    const none = config({ defaultBackend: 'v', backends: { v: { provider: 'vertexai', projectId: 'p', location: 'us-central1' } } });
    // Application Default Credentials with nothing to find: no file, no gcloud login, a metadata server that is not there.
    const saved = { gac: process.env.GOOGLE_APPLICATION_CREDENTIALS, cfg: process.env.CLOUDSDK_CONFIG, host: process.env.GCE_METADATA_HOST };
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.CLOUDSDK_CONFIG = '/nonexistent/gcloud';
    process.env.GCE_METADATA_HOST = '127.0.0.1:9';
    try {
      const res = await drive(none, { path: '/v1/chat/completions', body: CHAT });
      expect(res.immediate?.status).toBe(503);
      expect(JSON.stringify(res.immediate?.body)).toContain('Application Default Credentials');
    } finally {
      for (const [k, v] of [['GOOGLE_APPLICATION_CREDENTIALS', saved.gac], ['CLOUDSDK_CONFIG', saved.cfg], ['GCE_METADATA_HOST', saved.host]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('requires projectId and location, and refuses a static key', () => {
    expect(() => config({ backends: { v: { provider: 'vertexai', location: 'us-central1' } } })).toThrow(/projectId/);
    expect(() => config({ backends: { v: { provider: 'vertexai', projectId: 'p' } } })).toThrow(/location/);
    expect(() => config({ backends: { v: { provider: 'vertexai', projectId: 'p', location: 'l', authToken: { kind: 'Inline', inline: 'k' } } } })).toThrow(/authenticates on its own/);
  });
});

const MESSAGE = {
  id: 'msg_vrtx_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5@20250929',
  content: [{ type: 'text', text: 'Hello!' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 },
};

const CLAUDE_SSE = [
  { type: 'message_start', message: { ...MESSAGE, content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' there' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } },
  { type: 'message_stop' },
]
  .map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
  .join('');

describe('anthropic dialect -> Claude on Vertex', () => {
  const anthropicBody = { model: 'claude-sonnet-4-5@20250929', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] };

  it('plain: model moves into the path, anthropic_version into the body; the answer passes untouched', async () => {
    const res = await drive(vertexConfig(), { path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client' }, body: anthropicBody }, () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      chunks: [Buffer.from(JSON.stringify(MESSAGE))],
    }));
    const up = res.upstream!;
    expect(up.headers[':path']).toBe(`${CLAUDE_PATH}/claude-sonnet-4-5@20250929:rawPredict`);
    expect(up.headers['anthropic-version']).toBeUndefined();
    expect(up.headers['x-api-key']).toBeUndefined();
    expect(up.headers.authorization).toMatch(/^Bearer ya29\./);
    const { model: _m, ...rest } = anthropicBody;
    expect(JSON.parse(up.body!.toString())).toEqual({ anthropic_version: 'vertex-2023-10-16', ...rest });
    expect(JSON.parse(res.client!.body.toString())).toEqual(MESSAGE);
    expect(res.metadata).toMatchObject({ input_tokens: 14, output_tokens: 3, cached_input_tokens: 4, response_model: 'claude-sonnet-4-5@20250929' });
  });

  it('stream: :streamRawPredict; bytes pass untouched at any split; usage counted', async () => {
    const cfg = vertexConfig({ model: 'claude-haiku-4-5@20251001' });
    for (const size of [1, 7, 64, 100_000]) {
      const res = await drive(cfg, { path: '/v1/messages', body: { ...anthropicBody, stream: true } }, () => ({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        chunks: splitEvery(Buffer.from(CLAUDE_SSE), size),
      }));
      expect(res.upstream!.headers[':path']).toBe(`${CLAUDE_PATH}/claude-haiku-4-5@20251001:streamRawPredict`);
      expect(JSON.parse(res.upstream!.body!.toString())).toMatchObject({ stream: true, anthropic_version: 'vertex-2023-10-16' });
      expect(res.client!.body.toString()).toBe(CLAUDE_SSE);
      expect(res.metadata).toMatchObject({ input_tokens: 10, output_tokens: 5 });
    }
  });

  it("Google's own errors become Anthropic's error shape; Claude's pass untouched", async () => {
    const google = { error: { code: 429, message: 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model', status: 'RESOURCE_EXHAUSTED' } };
    const res = await drive(vertexConfig(), { path: '/v1/messages', body: anthropicBody }, () => ({ status: 429, headers: { 'content-type': 'application/json' }, chunks: [Buffer.from(JSON.stringify(google))] }));
    expect(res.client!.status).toBe(429);
    expect(JSON.parse(res.client!.body.toString())).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: `RESOURCE_EXHAUSTED: ${google.error.message}` } });
    const claude = { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } };
    const res2 = await drive(vertexConfig(), { path: '/v1/messages', body: anthropicBody }, () => ({ status: 400, chunks: [Buffer.from(JSON.stringify(claude))] }));
    expect(JSON.parse(res2.client!.body.toString())).toEqual(claude);
  });

  it('translates for a Gemini model from an Anthropic client: generateContent under the google publisher, with the minted token', async () => {
    const res = await drive(vertexConfig(), { path: '/v1/messages', headers: { 'x-api-key': 'sk-ant-client' }, body: { ...anthropicBody, model: 'gemini-2.0-flash' } }, () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      chunks: [Buffer.from(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, totalTokenCount: 5 }, responseId: 'v-1' }))],
    }));
    expect(res.upstream!.headers[':path']).toBe(`${GEMINI_PATH}/gemini-2.0-flash:generateContent`);
    expect(res.upstream!.headers.authorization).toMatch(/^Bearer /);
    expect(res.upstream!.headers['x-api-key']).toBeUndefined();
    expect(JSON.parse(res.upstream!.body!.toString())).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] }, generationConfig: { maxOutputTokens: 256 } });
    expect(JSON.parse(res.client!.body.toString())).toMatchObject({ type: 'message', id: 'msg_v-1', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 4, output_tokens: 1 } });
  });

  it('count_tokens: countTokens for a Gemini model; estimated by the gateway for a Claude model', async () => {
    const count = { model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hello' }] };
    const gem = await drive(vertexConfig(), { path: '/v1/messages/count_tokens', body: count }, () => ({ status: 200, headers: { 'content-type': 'application/json' }, chunks: [Buffer.from('{"totalTokens":3}')] }));
    expect(gem.upstream!.headers[':path']).toBe(`${GEMINI_PATH}/gemini-2.0-flash:countTokens`);
    expect(JSON.parse(gem.client!.body.toString())).toEqual({ input_tokens: 3 });
    const claude = await drive(vertexConfig(), { path: '/v1/messages/count_tokens', body: { ...count, model: 'claude-sonnet-4-5@20250929' } });
    expect(claude.upstream).toBeUndefined();
    expect(claude.immediate?.status).toBe(200);
    expect(claude.immediate?.headers['x-llm-tokens-estimated']).toBe('true');
    expect((claude.immediate?.body as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });
});

describe('openai dialect -> Claude on Vertex', () => {
  it('streams OpenAI chunks built by the Anthropic provider translator', async () => {
    const res = await drive(vertexConfig(), { path: '/v1/chat/completions', body: { model: 'claude-sonnet-4-5@20250929', stream: true, messages: [{ role: 'user', content: 'Hi' }] } }, () => ({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunks: splitEvery(Buffer.from(CLAUDE_SSE), 13),
    }));
    const p = new SseParser();
    const data = p.push(res.client!.body).map((e) => e.data!);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello there');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(res.metadata).toMatchObject({ input_tokens: 10, output_tokens: 5 });
  });

  it('a publisher option overrides the guess from the model name', async () => {
    const res = await drive(vertexConfig({ publisher: 'anthropic' }), { path: '/v1/chat/completions', body: { ...CHAT, model: 'my-tuned-claude' } });
    expect(res.upstream!.headers[':path']).toBe(`${CLAUDE_PATH}/my-tuned-claude:rawPredict`);
  });
});

describe('vertexai config', () => {
  it('a templated location needs an explicit endpoint, and then renders into the path', async () => {
    expect(() => config({ backends: { v: { provider: 'vertexai', projectId: 'p', location: '$(headers.x-region)' } } })).toThrow(/location is templated/);
    const cfg = config({ defaultBackend: 'v', backends: { v: { provider: 'vertexai', projectId: '$(headers.x-project)', location: '$(headers.x-region)', endpoint: 'https://aiplatform.googleapis.com', authToken: { kind: 'Passthrough' } } } });
    const res = await drive(cfg, { path: '/v1/chat/completions', headers: { authorization: 'Bearer t', 'x-project': 'proj-9', 'x-region': 'europe-west1' }, body: CHAT });
    expect(res.upstream!.headers[':path']).toBe('/v1/projects/proj-9/locations/europe-west1/publishers/google/models/gemini-2.0-flash:generateContent');
    const missing = await drive(cfg, { path: '/v1/chat/completions', headers: { authorization: 'Bearer t', 'x-project': 'proj-9' }, body: CHAT });
    expect(missing.immediate?.status).toBe(400);
  });
});
