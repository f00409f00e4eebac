// Provider scenarios with their own SDKs and seeds, through a real Envoy:
// @google/genai native against Gemini, seed 001's bare /gemini, Vertex AI with a
// service-account key minted into OAuth2 tokens at a fake token endpoint, seed 002's
// Azure deployments on one templated route with the official AzureOpenAI client, and
// token usage of translated streams in Envoy's access log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleGenAI } from '@google/genai';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTokenServer, serviceAccountJson, startTokenServer, testKeyPair } from '../providers/vertexai/fake-token-server.js';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const geminiAnswer = (text: string, model = 'gemini-2.5-flash') => ({
  candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 9, totalTokenCount: 17, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }] },
  modelVersion: model,
  responseId: 'UxQ6aM_sKbjFnvgPocrJaA',
});

function geminiFake(req: Recorded): Reply {
  const path = req.url.split('?')[0]!;
  if (path.endsWith(':streamGenerateContent')) {
    const ev = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;
    return {
      sse: [
        ev({ candidates: [{ content: { parts: [{ text: 'Learning patterns ' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-flash', responseId: 'r-stream' }),
        ev({ candidates: [{ content: { parts: [{ text: 'from data.' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-flash', responseId: 'r-stream' }),
        ev({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 6, candidatesTokenCount: 5, totalTokenCount: 14, thoughtsTokenCount: 3 }, modelVersion: 'gemini-2.5-flash', responseId: 'r-stream' }),
      ],
      delayMs: 5,
    };
  }
  if (path.endsWith(':generateContent')) return { json: geminiAnswer('Learning patterns from data to make predictions.\n', path.split('/models/')[1]!.split(':')[0]) };
  return { status: 404, json: { error: { code: 404, message: `no route ${path}`, status: 'NOT_FOUND' } } };
}

let gemini: FakeUpstream, vertex: FakeUpstream, azure: FakeUpstream;
let tokens: FakeTokenServer;
let gw: Gateway;

beforeAll(async () => {
  gemini = await startFakeUpstream(geminiFake);
  vertex = await startFakeUpstream(geminiFake);
  azure = await startFakeUpstream((req) => {
    const body = JSON.parse(req.body.toString()) as { stream?: boolean };
    return body.stream ? { sse: chatStream('gpt-4o-2024-08-06', ['Hi', ' from', ' Azure'], true), delayMs: 5 } : { json: chatCompletion('gpt-4o-2024-08-06', 'Hello from Azure') };
  });
  const keys = testKeyPair();
  tokens = await startTokenServer(keys.publicKey);
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-sa-'));
  const saFile = join(dir, 'sa.json');
  writeFileSync(saFile, serviceAccountJson(keys.privatePem));
  gw = await startGateway({
    backends: {
      gemini: { provider: 'gemini', endpoint: gemini.url, apiVersion: 'v1beta', model: 'gemini-1.5-flash-latest', authToken: { kind: 'Inline', inline: 'AIza-gateway-key' } },
      'gemini-any': { provider: 'gemini', endpoint: gemini.url, authToken: { kind: 'Inline', inline: 'AIza-gateway-key' } },
      vertex: { provider: 'vertexai', endpoint: vertex.url, projectId: 'my-project', location: 'us-central1', serviceAccountKey: { file: saFile }, tokenEndpoint: `${tokens.url}/token` },
      azure: { provider: 'azureopenai', endpoint: azure.url, apiVersion: '2024-10-21', authToken: { kind: 'Inline', inline: 'azure-gateway-key' } },
    },
    paths: [
      { prefix: '/gemini', backend: 'gemini' },
      { regex: '^/openai/deployments/(?<deployment>[^/?#]+)/chat/completions', backend: 'azure', deployment: '$(uri_captures.deployment)' },
    ],
    models: [{ match: 'gemini-*', backend: 'gemini-any' }],
    defaultBackend: 'vertex',
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([gemini?.close(), vertex?.close(), azure?.close(), tokens?.close()]);
});

describe('Gemini native with @google/genai', () => {
  const ai = () => new GoogleGenAI({ apiKey: 'AIza-client-key', httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': 'gemini-any' } } });

  it('generateContent reaches Gemini with the gateway key and the usage is counted', async () => {
    const res = await ai().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Explain how AI works in a few words' });
    expect(res.text).toBe('Learning patterns from data to make predictions.\n');
    expect(res.usageMetadata?.totalTokenCount).toBe(17);
    const up = gemini.last();
    expect(up.url.split('?')[0]).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(up.headers['x-goog-api-key']).toBe('AIza-gateway-key');
    expect(JSON.stringify(up.headers)).not.toContain('AIza-client-key');
    expect(JSON.parse(up.body.toString())).toMatchObject({ contents: [{ parts: [{ text: 'Explain how AI works in a few words' }], role: 'user' }] });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'gemini-any' && l.response_model === 'gemini-2.5-flash' && l.total_tokens === 17);
    expect(log).toMatchObject({ provider: 'gemini', input_tokens: 8, output_tokens: 9, tokens_estimated: false });
  });

  it('generateContentStream arrives as SSE, chunk by chunk', async () => {
    const stream = await ai().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Explain AI' });
    const parts: string[] = [];
    for await (const chunk of stream) parts.push(chunk.text ?? '');
    expect(parts.join('')).toBe('Learning patterns from data.');
    expect(gemini.last().url).toMatch(/^\/v1beta\/models\/gemini-2\.5-flash:streamGenerateContent\?(.*&)?alt=sse/);
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'gemini-any' && l.total_tokens === 14);
    // Thinking tokens count as output, as in OpenAI's completion_tokens, and are also reported apart.
    expect(log).toMatchObject({ input_tokens: 6, output_tokens: 8, reasoning_tokens: 3 });
  });

  it('seed 001: a bare /gemini request with a native body goes to the backend model', async () => {
    const res = await fetch(`${gw.url}/gemini`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Explain how AI works in a few words' }] }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llm-model')).toBe('gemini-1.5-flash-latest');
    const body = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[]; modelVersion: string };
    expect(body.candidates[0]!.content.parts[0]!.text).toBe('Learning patterns from data to make predictions.\n');
    expect(gemini.last().url.split('?')[0]).toBe('/v1beta/models/gemini-1.5-flash-latest:generateContent');
  });

  it('the OpenAI SDK picks Gemini by a models rule and gets an OpenAI answer', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client' });
    const r = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Explain AI' }] });
    expect(r.choices[0]!.message.content).toBe('Learning patterns from data to make predictions.\n');
    expect(r.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 9, total_tokens: 17 });
    expect(JSON.parse(gemini.last().body.toString())).toMatchObject({ systemInstruction: { parts: [{ text: 'Be brief.' }] } });
  });
});

describe('Vertex AI with a service-account key', () => {
  it('mints an OAuth2 token at the token endpoint, caches it, and calls the Vertex path', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-not-for-google', defaultHeaders: { 'x-llm-backend': 'vertex' } });
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.choices[0]!.message.content).toBe('Learning patterns from data to make predictions.\n');
    }
    const up = vertex.last();
    expect(up.url).toBe('/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent');
    expect(up.headers.authorization).toMatch(/^Bearer \S+/);
    expect(up.headers.authorization).not.toContain('sk-client');
    expect(tokens.assertions).toHaveLength(1);
    expect(tokens.assertions[0]!.signatureValid).toBe(true);
    expect(tokens.assertions[0]!.claims).toMatchObject({ iss: 'gateway@my-project.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/cloud-platform' });
  });

  it('a stream from Vertex is translated for the OpenAI SDK, with usage counted', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', defaultHeaders: { 'x-llm-backend': 'vertex' } });
    const stream = await client.chat.completions.create({ model: 'gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Learning patterns from data.');
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'vertex' && l.total_tokens === 14);
    expect(log).toMatchObject({ provider: 'vertexai', input_tokens: 6, output_tokens: 8, reasoning_tokens: 3, route_type: 'completions' });
  });
});

describe('seed 002: many Azure deployments on one route', () => {
  it('the official AzureOpenAI client reaches each deployment with the gateway key', async () => {
    for (const deployment of ['my-gpt-3-5', 'my-gpt-4']) {
      const client = new AzureOpenAI({ endpoint: gw.url, apiKey: 'client-azure-key', apiVersion: '2024-10-21', deployment });
      const r = await client.chat.completions.create({ model: '', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.choices[0]!.message.content).toBe('Hello from Azure');
      expect(azure.last().url).toBe(`/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`);
      expect(azure.last().headers['api-key']).toBe('azure-gateway-key');
    }
  });

  it('an Azure stream keeps its usage for the metadata and hides the usage chunk', async () => {
    const client = new AzureOpenAI({ endpoint: gw.url, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'my-gpt-4' });
    const stream = await client.chat.completions.create({ model: '', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const c of stream) {
      expect(c.choices.length).toBe(1);
      text += c.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe('Hi from Azure');
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'azure' && l.total_tokens === 14);
    expect(log).toMatchObject({ provider: 'azureopenai', input_tokens: 11, output_tokens: 3 });
  });
});
