// Through a real Envoy with the official SDKs: the OpenAI SDK's responses.inputTokens.count
// against Anthropic (its count_tokens answers) and Azure OpenAI (whose v1 API has no such
// endpoint: the gateway estimates, nothing sent), and @google/genai's embedContent against an
// OpenAI-compatible backend (one text and a batch, translated to /v1/embeddings and back).
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/usage/estimate.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';

let anthropic: FakeUpstream, azure: FakeUpstream, openai: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  anthropic = await startFakeUpstream((req) => (req.url === '/v1/messages/count_tokens' ? { json: { input_tokens: 27 } } : { status: 404, json: { type: 'error', error: { type: 'not_found_error', message: req.url } } }));
  azure = await startFakeUpstream(() => ({ status: 404, json: { error: { code: '404', message: 'Resource not found' } } }));
  openai = await startFakeUpstream((req) => {
    const body = JSON.parse(req.body.toString()) as { input: string[]; dimensions?: number };
    const data = body.input.map((_, index) => ({ object: 'embedding', index, embedding: [index + 0.5, -0.25, 0.125] }));
    return { json: { object: 'list', data: data.reverse(), model: 'text-embedding-3-small', usage: { prompt_tokens: 4 * body.input.length, total_tokens: 4 * body.input.length } } };
  });
  gw = await startGateway({
    backends: {
      anthropic: { provider: 'anthropic', endpoint: anthropic.url, authToken: { kind: 'Inline', inline: 'sk-ant-gateway' } },
      azure: { provider: 'azureopenai', endpoint: azure.url, deployment: 'gpt-4o-prod', authToken: { kind: 'Inline', inline: 'azure-gateway-key' } },
      openai: { provider: 'openai', endpoint: openai.url, authToken: { kind: 'Inline', inline: 'sk-gateway' } },
    },
    defaultBackend: 'openai',
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([anthropic?.close(), azure?.close(), openai?.close()]);
});

const oai = (backend: string) => new OpenAI({ apiKey: 'sk-client', baseURL: `${gw.url}/v1`, defaultHeaders: { 'x-llm-backend': backend } });

describe('responses.inputTokens.count', () => {
  it("on Anthropic: counted by count_tokens, answered in OpenAI's shape", async () => {
    const res = await oai('anthropic').responses.inputTokens.count({ model: 'claude-sonnet-4-5', instructions: 'Be brief.', input: 'How many tokens is this?' });
    expect(res).toEqual({ object: 'response.input_tokens', input_tokens: 27 });
    const sent = JSON.parse(anthropic.last().body.toString()) as Record<string, unknown>;
    expect(sent).toEqual({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    expect(anthropic.last().headers['x-api-key']).toBe('sk-ant-gateway');
  });

  it('on Azure OpenAI: estimated by the gateway, nothing sent', async () => {
    const { data, response } = await oai('azure').responses.inputTokens.count({ model: 'gpt-4o', input: 'How many tokens is this?' }).withResponse();
    expect(data).toEqual({ object: 'response.input_tokens', input_tokens: countTokens('How many tokens is this?', 'gpt-4o-prod') });
    expect(response.headers.get('x-llm-tokens-estimated')).toBe('true');
    expect(azure.requests).toHaveLength(0);
  });
});

describe('@google/genai embedContent on an OpenAI backend', () => {
  const ai = () => new GoogleGenAI({ apiKey: 'AIza-client', httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': 'openai' } } });

  it('one text and a batch: vectors back in order, usage in the access log', async () => {
    const res = await ai().models.embedContent({ model: 'text-embedding-3-small', contents: ['alpha', 'beta'], config: { outputDimensionality: 3 } });
    expect(res.embeddings?.map((e) => e.values)).toEqual([[0.5, -0.25, 0.125], [1.5, -0.25, 0.125]]);
    const sent = openai.last();
    expect(sent.url).toBe('/v1/embeddings');
    expect(JSON.parse(sent.body.toString())).toEqual({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 3 });
    expect(sent.headers.authorization).toBe('Bearer sk-gateway');
    expect(sent.headers['x-goog-api-key']).toBeUndefined();
    const log = await gw.waitForAccessLogEntry((l) => typeof l.path === 'string' && l.path.includes(':batchEmbedContents'));
    expect(log).toMatchObject({ provider: 'openai', input_tokens: 8, output_tokens: 0 });
  });

  it("taskType, which OpenAI cannot express: 400 in Google's shape, nothing sent", async () => {
    const before = openai.requests.length;
    const err = await ai()
      .models.embedContent({ model: 'text-embedding-3-small', contents: 'alpha', config: { taskType: 'RETRIEVAL_QUERY' } })
      .catch((e: unknown) => e as Error);
    expect(String(err)).toMatch(/taskType/);
    expect(String(err)).toMatch(/INVALID_ARGUMENT|400/);
    expect(openai.requests.length).toBe(before);
  });
});
