// Gateway keys through a real Envoy: each dialect's official SDK presents its key where it
// always does; a valid key passes, a wrong or missing one is a 401 in the client's dialect,
// a key restricted to other backends or models a 403; the gateway key never reaches a
// provider, and the principal is in the access log, the usage log and the metrics.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatCompletion } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, sampleValue, scrape } from './observe.js';

const TEAM_A = 'gk-team-a-0123456789';
const TEAM_B = 'gk-team-b-9876543210';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const MESSAGES = [{ role: 'user' as const, content: 'Hello!' }];

let openaiFake: FakeUpstream;
let anthropicFake: FakeUpstream;
let geminiFake: FakeUpstream;
let gw: Gateway;
let keyFile: string;
const logs = captureLogs();
const fakes = () => [openaiFake, anthropicFake, geminiFake];

/** Nothing the provider received (headers, path, body) holds a gateway key. */
function expectNoGatewayKey(r: Recorded): void {
  const seen = JSON.stringify([r.url, r.headers, r.body.toString()]);
  expect(seen).not.toContain(TEAM_A);
  expect(seen).not.toContain(TEAM_B);
}

beforeAll(async () => {
  openaiFake = await startFakeUpstream(() => ({ json: chatCompletion('gpt-4o-mini') }));
  anthropicFake = await startFakeUpstream(() => ({
    json: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'hi from claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 4 } },
  }));
  geminiFake = await startFakeUpstream(() => ({
    json: { candidates: [{ content: { parts: [{ text: 'hi from gemini' }], role: 'model' }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 }, modelVersion: 'gemini-2.5-flash' },
  }));
  keyFile = join(mkdtempSync(join(tmpdir(), 'llm-extproc-keys-')), 'team-b');
  writeFileSync(keyFile, `${TEAM_B}\n`);
  gw = await startGateway({
    defaultBackend: 'openai',
    backends: {
      openai: { provider: 'openai', endpoint: openaiFake.url, authToken: { kind: 'Inline', inline: 'sk-openai-gw' } },
      claude: { provider: 'anthropic', endpoint: anthropicFake.url, authToken: { kind: 'Inline', inline: 'sk-ant-gw' } },
      gemini: { provider: 'gemini', endpoint: geminiFake.url, authToken: { kind: 'Inline', inline: 'g-key-gw' } },
      byok: { provider: 'openai', endpoint: openaiFake.url, authToken: { kind: 'Passthrough' } },
      // Nothing listens on port 9: every attempt there is a connect failure.
      dead: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'sk-dead' } },
    },
    pools: { fallback: { backends: [{ backend: 'dead', model: 'gpt-4o-mini' }, { backend: 'gemini', model: 'gemini-2.5-flash', priority: 1 }] } },
    clients: {
      'team-a': { keys: [{ sha256: sha(TEAM_A) }], allow: { models: ['gpt-*'] } },
      'team-b': { keys: [{ secretRef: { file: keyFile } }], allow: { backends: ['claude', 'gemini', 'byok', 'fallback'] } },
    },
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all(fakes().map((f) => f?.close()));
});

beforeEach(() => {
  for (const f of fakes()) f.requests.length = 0;
});

const openai = (apiKey: string, backend?: string) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0, defaultHeaders: backend ? { 'x-llm-backend': backend } : {} });

describe('gateway keys', () => {
  it('an OpenAI SDK with its key: the provider gets the gateway’s own key, never the client’s; the principal is recorded', async () => {
    const res = await openai(TEAM_A).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    expect(res.choices[0]!.message.content).toBe('Hello from the fake upstream!');
    const up = openaiFake.last();
    expect(up.headers.authorization).toBe('Bearer sk-openai-gw');
    expectNoGatewayKey(up);
    await gw.waitForAccessLogEntry((l) => l.client === 'team-a' && l.total_tokens === 19);
    expect(logs.usage((l) => l.client === 'team-a' && l.totalTokens === 19).length).toBeGreaterThanOrEqual(1);
    const samples = await scrape(gw.adminUrl);
    expect(sampleValue(samples, 'llm_extproc_requests_total', { backend: 'openai', client: 'team-a', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'gen_ai_client_token_usage_sum', { client: 'team-a', gen_ai_token_type: 'input', gen_ai_request_model: 'gpt-4o-mini' })).toBeGreaterThanOrEqual(12);
  });

  it('a wrong key and a missing one: 401 invalid_api_key in OpenAI’s shape, nothing sent upstream', async () => {
    const wrong = await openai('gk-not-a-key').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });
    const missing = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES }) });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(openaiFake.requests).toHaveLength(0);
    await gw.waitForAccessLogEntry((l) => l.response_code === 401);
  });

  it('a key restricted to other models or backends: 403 forbidden, in the client’s dialect', async () => {
    await expect(openai(TEAM_A).chat.completions.create({ model: 'o1', messages: MESSAGES })).rejects.toMatchObject({ status: 403, code: 'forbidden', type: 'permission_error' });
    await expect(openai(TEAM_B, 'openai').chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    const claude = new Anthropic({ baseURL: gw.url, apiKey: TEAM_A, maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'claude' } });
    // team-a may use any backend, but only gpt-* models.
    await expect(claude.messages.create({ model: 'claude-x', max_tokens: 16, messages: MESSAGES })).rejects.toMatchObject({ status: 403, error: { type: 'error', error: { type: 'permission_error' } } });
    expect(fakes().map((f) => f.requests.length)).toEqual([0, 0, 0]);
  });

  it('an Anthropic SDK presents x-api-key; the provider gets the gateway’s key', async () => {
    const claude = new Anthropic({ baseURL: gw.url, apiKey: TEAM_B, maxRetries: 0, defaultHeaders: { 'x-llm-backend': 'claude' } });
    const msg = await claude.messages.create({ model: 'claude-x', max_tokens: 16, messages: MESSAGES });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'hi from claude' });
    expect(anthropicFake.last().headers['x-api-key']).toBe('sk-ant-gw');
    expectNoGatewayKey(anthropicFake.last());
  });

  it('a Gemini SDK presents x-goog-api-key, a plain client ?key=: both pass, and neither key goes on', async () => {
    const ai = new GoogleGenAI({ apiKey: TEAM_B, httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': 'gemini' } } });
    const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(res.text).toBe('hi from gemini');
    expect(geminiFake.last().headers['x-goog-api-key']).toBe('g-key-gw');
    expectNoGatewayKey(geminiFake.last());
    const viaQuery = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${TEAM_B}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llm-backend': 'gemini' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
    });
    expect(viaQuery.status).toBe(200);
    expect(geminiFake.last().url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expectNoGatewayKey(geminiFake.last());
    const bad = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent?key=nope`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-llm-backend': 'gemini' }, body: '{"contents":[]}' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });

  it('a Passthrough backend: the gateway key is taken off, the client’s own provider key goes on', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llm-backend': 'byok', authorization: `Bearer ${TEAM_B}`, 'x-api-key': 'sk-users-own' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES }),
    });
    expect(res.status).toBe(200);
    expect(openaiFake.last().headers.authorization).toBe('Bearer sk-users-own');
    expectNoGatewayKey(openaiFake.last());
  });

  it('through a pool: the gateway key is off every attempt, and the member that answers gets only its own key', async () => {
    const res = await openai(TEAM_B, 'fallback').chat.completions.create({ model: 'anything', messages: MESSAGES });
    expect(res.choices[0]!.message.content).toBe('hi from gemini');
    expect(geminiFake.last().headers['x-goog-api-key']).toBe('g-key-gw');
    expect(geminiFake.last().headers.authorization).toBeUndefined();
    expectNoGatewayKey(geminiFake.last());
    await gw.waitForAccessLogEntry((l) => l.client === 'team-b' && l.answered_by === 'gemini');
  });

  it('a key file rotated: the old key stops working and the new one works, without a restart', async () => {
    const NEW = 'gk-team-b-rotated-000';
    writeFileSync(keyFile, `${NEW}\n`);
    const ok = (key: string) => openai(key, 'byok').models.list().then(
      () => 200,
      (e: { status?: number }) => e.status,
    );
    const until = Date.now() + 5000;
    while ((await ok(TEAM_B)) !== 401 && Date.now() < until) await sleep(200);
    expect(await ok(TEAM_B)).toBe(401);
    expect(await ok(NEW)).toBe(200);
    writeFileSync(keyFile, `${TEAM_B}\n`);
    while ((await ok(TEAM_B)) === 401 && Date.now() < until + 5000) await sleep(200);
    expect(await ok(TEAM_B)).not.toBe(401);
  });
});
