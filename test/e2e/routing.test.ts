// Routing, route types, auth, overrides and errors through a real Envoy, with the
// official openai SDK and plain fetch as clients (seeds 000-004).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatStream, embeddings, modelsList, openaiLike } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';

let openai: FakeUpstream, ollama: FakeUpstream, mistral: FakeUpstream, azure: FakeUpstream, byo: FakeUpstream;
let gw: Gateway;
let keyFile: string;

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  [openai, ollama, mistral, azure, byo] = (await Promise.all(['openai', 'ollama', 'mistral', 'azure', 'byo'].map((l) => startFakeUpstream(openaiLike(l))))) as FakeUpstream[] as [FakeUpstream, FakeUpstream, FakeUpstream, FakeUpstream, FakeUpstream];
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-keys-'));
  keyFile = join(dir, 'azure-key');
  writeFileSync(keyFile, 'azure-key-v1\n');
  process.env.E2E_OPENAI_KEY = 'sk-gateway-openai-secret';
  gw = await startGateway({
    defaultBackend: 'openai',
    backends: {
      openai: {
        provider: 'openai',
        endpoint: openai.url,
        authToken: { kind: 'SecretRef', secretRef: { env: 'E2E_OPENAI_KEY' } },
        routes: { '/v1/chat/completions': 'completions', '/v1/embeddings': 'passthrough', '/v1/models': 'passthrough', '*': 'passthrough' },
      },
      ollama: { provider: 'openai', endpoint: ollama.url },
      mistral: { provider: 'openai', endpoint: mistral.url, authToken: { kind: 'Inline', inline: 'sk-mistral-inline' } },
      'azure-custom': {
        provider: 'openai',
        endpoint: 'http://127.0.0.1:1',
        model: 'gpt-4o',
        hostOverride: `127.0.0.1:${azure.port}`,
        pathOverride: '/my-openai-service/gpt35/chat/completions',
        authHeaderOverride: { headerName: 'api-key', prefix: '' },
        authToken: { kind: 'SecretRef', secretRef: { file: keyFile } },
      },
      byo: { provider: 'openai', endpoint: byo.url, model: 'gpt-3.5-turbo', authToken: { kind: 'Passthrough' } },
    },
    paths: [
      { prefix: '/openai', backend: 'openai' },
      { prefix: '/azure-openai', backend: 'azure-custom' },
      { prefix: '/byo', backend: 'byo' },
      { regex: '^/(?<provider>mistral|ollama)/(?<model>[^/?#]+)/chat/completions$', backend: '$(uri_captures.provider)', model: '$(uri_captures.model)', rewrite: '/v1/chat/completions' },
      { regex: '^/raw/openai/(?<op_path>[^?#]+)', backend: 'openai', routeType: 'passthrough', rewrite: '/$(uri_captures.op_path)' },
      { prefix: '/tenant', backend: '$(headers.x-tenant-backend)' },
    ],
    models: [{ match: 'mistral-*', backend: 'mistral' }],
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([openai, ollama, mistral, azure, byo].map((u) => u?.close()));
});

describe('backend selection', () => {
  it('seed 004: a plain SDK call with no extra header goes to the default backend with the gateway key', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-should-not-leak' });
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    expect(res.data.choices[0]!.message.content).toBe('Hello from openai');
    expect(res.response.headers.get('x-llm-backend')).toBe('openai');
    expect(res.response.headers.get('x-llm-model')).toBe('gpt-4o-mini');
    const up = openai.last();
    expect(up.url).toBe('/v1/chat/completions');
    expect(up.headers.authorization).toBe('Bearer sk-gateway-openai-secret');
    expect(JSON.stringify(up.headers)).not.toContain('sk-client-should-not-leak');
  });

  it('the selector header picks a backend and never reaches the upstream', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', defaultHeaders: { 'x-llm-backend': 'ollama', 'x-llm-debug': 'secret-ish' } });
    const r = await client.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]!.message.content).toBe('Hello from ollama');
    const up = ollama.last();
    expect(up.headers['x-llm-backend']).toBe('ollama'); // written by the processor for Envoy's routing
    expect(up.headers['x-llm-debug']).toBeUndefined();
  });

  it('a selector naming an unknown backend is a 404 backend_not_found in the OpenAI shape', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, { model: 'x', messages: [] }, { 'x-llm-backend': 'nope' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('backend_not_found');
    expect(body.error.message).toContain('nope');
  });

  it('a models rule picks the backend from the body', async () => {
    const before = mistral.requests.length;
    const r = await postJson(`${gw.url}/v1/chat/completions`, { model: 'mistral-small', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(200);
    expect(mistral.requests.length).toBe(before + 1);
    expect(mistral.last().headers.authorization).toBe('Bearer sk-mistral-inline');
  });

  it('seed 002: a regex path route templates backend and model from captures', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/mistral/mistral-large-latest`, apiKey: 'unused' });
    const r = await client.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.model).toBe('mistral-large-latest-served');
    expect(mistral.last().url).toBe('/v1/chat/completions');
    expect(JSON.parse(mistral.last().body.toString()).model).toBe('mistral-large-latest');
    const o = new OpenAI({ baseURL: `${gw.url}/ollama/qwen3:0.6b`, apiKey: 'unused' });
    await o.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect(JSON.parse(ollama.last().body.toString()).model).toBe('qwen3:0.6b');
  });

  it('a template whose header is missing is a 400 template_value_missing naming it', async () => {
    const res = await postJson(`${gw.url}/tenant/v1/chat/completions`, { model: 'x', messages: [] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; param: string } };
    expect(body.error.code).toBe('template_value_missing');
    expect(body.error.param).toBe('headers.x-tenant-backend');
    const ok = await postJson(`${gw.url}/tenant/v1/chat/completions`, { model: 'x', messages: [] }, { 'x-tenant-backend': 'ollama' });
    expect(ok.status).toBe(200);
    expect(ollama.last().headers['x-tenant-backend']).toBe('ollama');
  });
});

describe('seed 000: route types on one backend', () => {
  it('chat completions under /openai is processed; embeddings and models pass through untouched, bodies unseen', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: 'sk-client' });
    const chat = await client.chat.completions.create({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hello!' }] });
    expect(chat.choices[0]!.message.content).toBe('Hello from openai');
    expect(openai.last().url).toBe('/v1/chat/completions');

    const before = await gw.messages();
    const emb = await client.embeddings.create({ model: 'text-embedding-ada-002', input: 'The food was delicious', encoding_format: 'float' });
    expect(emb.data[0]!.embedding).toEqual(embeddings.data[0]!.embedding);
    const up = openai.last();
    expect(up.url).toBe('/v1/embeddings');
    expect(up.headers.authorization).toBe('Bearer sk-gateway-openai-secret');
    expect(JSON.parse(up.body.toString())).toEqual({ model: 'text-embedding-ada-002', input: 'The food was delicious', encoding_format: 'float' });

    const models = await fetch(`${gw.url}/openai/v1/models`);
    expect(await models.json()).toEqual(modelsList);
    expect(openai.last().url).toBe('/v1/models');
    const after = await gw.messages();
    // The processor saw the headers of both requests but never a body byte.
    expect(after.request_headers! - (before.request_headers ?? 0)).toBe(2);
    expect(after.request_body ?? 0).toBe(before.request_body ?? 0);
    expect(after.response_body ?? 0).toBe(before.response_body ?? 0);
  });

  it('seed 002 preserve: a passthrough path route forwards a multipart body byte for byte to the captured path', async () => {
    const before = await gw.messages();
    const form = new FormData();
    form.set('model', 'whisper-1');
    form.set('file', new Blob([Buffer.from('RIFF....fake audio bytes')], { type: 'audio/wav' }), 'me_saying_hello.wav');
    const req = new Request(`${gw.url}/raw/openai/v1/audio/transcriptions`, { method: 'POST', body: form });
    const sent = Buffer.from(await req.clone().arrayBuffer());
    const res = await fetch(req);
    expect(res.status).toBe(200);
    const up = openai.last();
    expect(up.url).toBe('/v1/audio/transcriptions');
    expect(up.body.equals(sent)).toBe(true);
    expect(up.headers['content-type']).toContain('multipart/form-data');
    expect(up.headers.authorization).toBe('Bearer sk-gateway-openai-secret');
    expect((await gw.messages()).request_body ?? 0).toBe(before.request_body ?? 0);
  });
});

describe('seed 001: overrides', () => {
  it('host, path and auth-header overrides, and the backend model, on a bare prefix', async () => {
    const res = await postJson(`${gw.url}/azure-openai`, { messages: [{ role: 'user', content: 'Hello from Azure OpenAI!' }], max_tokens: 100 }, { 'api-key': 'client-azure-key', authorization: 'Bearer client' });
    expect(res.status).toBe(200);
    const up = azure.last();
    expect(up.url).toBe('/my-openai-service/gpt35/chat/completions');
    expect(up.headers.host).toBe(`127.0.0.1:${azure.port}`);
    expect(up.headers['api-key']).toBe('azure-key-v1');
    expect(up.headers.authorization).toBeUndefined();
    expect(JSON.parse(up.body.toString())).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello from Azure OpenAI!' }], max_tokens: 100 });
    expect(Number(up.headers['content-length'])).toBe(up.body.length);
  });

  it('seed 003: a SecretRef file is re-read when it changes', async () => {
    writeFileSync(keyFile, 'azure-key-v2\n');
    const until = Date.now() + 5000;
    let seen = '';
    while (Date.now() < until) {
      await postJson(`${gw.url}/azure-openai`, { messages: [{ role: 'user', content: 'hi' }] });
      seen = String(azure.last().headers['api-key']);
      if (seen === 'azure-key-v2') break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(seen).toBe('azure-key-v2');
  });
});

describe('seed 003: auth kinds', () => {
  it('Passthrough forwards the client Authorization untouched', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/byo/v1`, apiKey: 'oidc-token-from-client' });
    await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect(byo.last().headers.authorization).toBe('Bearer oidc-token-from-client');
    expect(JSON.parse(byo.last().body.toString()).model).toBe('gpt-3.5-turbo');
  });

  it('Passthrough without a client credential is a 401 missing_credentials', async () => {
    const before = byo.requests.length;
    const res = await postJson(`${gw.url}/byo/v1/chat/completions`, { model: 'x', messages: [] });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_credentials');
    expect(byo.requests.length).toBe(before);
  });
});

describe('errors in the OpenAI shape', () => {
  it('invalid JSON is a 400 invalid_json and never reaches the upstream', async () => {
    const before = openai.requests.length;
    const res = await postJson(`${gw.url}/v1/chat/completions`, '{"model": "gpt-4o", "messages": [');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error' });
    expect(openai.requests.length).toBe(before);
  });

  it('the SDK surfaces gateway errors as typed API errors', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', defaultHeaders: { 'x-llm-backend': 'missing-backend' }, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'backend_not_found' });
  });
});

describe('streaming', () => {
  it('an SSE stream the client asked usage for arrives byte-identical, and usage lands in the access log', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toBe(chatStream('gpt-4o-mini-served', ['Hel', 'lo ', 'from ', 'openai'], true).join(''));
    const entry = await gw.waitForAccessLogEntry((l) => l.request_model === 'gpt-4o-mini' && l.total_tokens === 15);
    expect(entry).toMatchObject({ backend: 'openai', provider: 'openai', route_type: 'completions', input_tokens: 11, output_tokens: 4, cached_input_tokens: 2, response_model: 'gpt-4o-mini-served', tokens_estimated: false });
  });

  it('the SDK stream without include_usage: the gateway counts tokens and the client never sees the usage chunk', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x' });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.usage ?? null).toBeNull();
      expect(chunk.choices.length).toBe(1);
      text += chunk.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('Hello from openai');
    expect(chunks).toBe(6);
    expect(JSON.parse(openai.last().body.toString()).stream_options).toEqual({ include_usage: true });
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.request_model === 'gpt-4o');
    expect(entry).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
    expect(Number(entry!.ttft_ms)).toBeGreaterThanOrEqual(0);
  });
});

