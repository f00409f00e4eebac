// Anthropic's /v1/messages/count_tokens on providers without a counting API (OpenAI, Azure
// OpenAI, Bedrock), and Gemini's countTokens there and on Anthropic: the gateway answers itself
// with a tokenizer count, marked as an estimate, and never calls the provider. Counts are
// checked against tiktoken directly.
import { describe, expect, it } from 'vitest';
import { geminiCountText } from '../../src/providers/shared/estimated-count.js';
import { countTokens, promptText } from '../../src/usage/estimate.js';
import { config, drive } from '../helpers/drive.js';

const BODY = {
  model: 'claude-sonnet-4-5',
  system: 'You are terse.',
  tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
  messages: [
    { role: 'user', content: 'Weather in Oslo?' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '4 degrees, overcast' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } }] },
  ],
};

const BACKENDS: Record<string, Record<string, unknown>> = {
  openai: { provider: 'openai', endpoint: 'http://127.0.0.1:9', model: 'gpt-4o-mini', authToken: { kind: 'Inline', inline: 'sk-gw' } },
  azureopenai: { provider: 'azureopenai', endpoint: 'http://127.0.0.1:9', deployment: 'gpt-4o-prod', authToken: { kind: 'Inline', inline: 'az-gw' } },
  bedrock: { provider: 'bedrock', region: 'us-east-1', aws: { accessKeyId: { env: 'HOME' }, secretAccessKey: { env: 'HOME' } } },
};

/** The model whose tokenizer counts: the backend's pin, Azure's deployment, else the client's. */
const COUNTED_AS: Record<string, string> = { openai: 'gpt-4o-mini', azureopenai: 'gpt-4o-prod', bedrock: 'claude-sonnet-4-5' };

describe.each(Object.keys(BACKENDS))('count_tokens on %s', (name) => {
  it('is answered by the gateway, estimated, without calling the provider', async () => {
    const cfg = config({ defaultBackend: 'b', backends: { b: BACKENDS[name] } });
    const res = await drive(cfg, { path: '/v1/messages/count_tokens', headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client' }, body: BODY }, () => {
      throw new Error('the provider must not be called');
    });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate?.status).toBe(200);
    const want = countTokens(promptText({ system: BODY.system, messages: BODY.messages, tools: BODY.tools }), COUNTED_AS[name]);
    expect(want).toBeGreaterThan(20);
    expect(res.immediate?.body).toEqual({ input_tokens: want });
    expect(res.immediate?.headers).toMatchObject({ 'content-type': 'application/json', 'x-llm-tokens-estimated': 'true', 'x-llm-backend': 'b', 'x-llm-model': COUNTED_AS[name] });
    // The image's base64 is not text the model reads as tokens.
    expect(promptText(BODY.messages)).not.toContain('iVBORw0KGgo');
  });

  it('still refuses a body that is not a Messages request (400 in Anthropic\'s shape)', async () => {
    const cfg = config({ defaultBackend: 'b', backends: { b: BACKENDS[name] } });
    const res = await drive(cfg, { path: '/v1/messages/count_tokens', headers: { 'anthropic-version': '2023-06-01' }, body: { model: 'x', messages: 'hi' } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('count_tokens through a pool', () => {
  const pools = (first: string, second: string) =>
    config({
      defaultBackend: 'p',
      backends: { openai: BACKENDS.openai, gemini: { provider: 'gemini', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'AIza-gw' } } },
      pools: { p: { backends: [{ backend: first }, { backend: second }] } },
    });

  it('a primary without a counting API: the gateway answers for it, no member is called', async () => {
    const res = await drive(pools('openai', 'gemini'), { path: '/v1/messages/count_tokens', headers: { 'anthropic-version': '2023-06-01' }, body: BODY });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate).toMatchObject({ status: 200, headers: { 'x-llm-tokens-estimated': 'true', 'x-llm-backend': 'openai' } });
    expect(res.immediate?.body).toEqual({ input_tokens: expect.any(Number) });
  });

  it('a primary that counts (Gemini): handed to the pool like any request', async () => {
    const res = await drive(pools('gemini', 'openai'), { path: '/v1/messages/count_tokens', headers: { 'anthropic-version': '2023-06-01' }, body: BODY });
    expect(res.immediate).toBeUndefined();
    expect(res.upstream?.headers['x-llm-backend']).toBe('p');
  });
});

describe("Gemini's countTokens text", () => {
  const contents = [
    { role: 'user', parts: [{ text: 'Weather in Oslo?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: '4 degrees' } } }] },
  ];
  const tools = [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', description: 'City name' } } } }] }];

  it('counts the contents: texts, call and response names and text, not inline media', () => {
    expect(geminiCountText({ contents })).toBe(['Weather in Oslo?', 'get_weather', 'get_weather', '4 degrees'].join('\n'));
  });

  it('a generateContentRequest wrapper: its system instruction, contents and tools; the top-level contents ignored', () => {
    const text = geminiCountText({ contents: [{ parts: [{ text: 'not this' }] }], generateContentRequest: { systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents, tools } });
    expect(text).toBe(['You are terse.', 'Weather in Oslo?', 'get_weather', 'get_weather', '4 degrees', 'get_weather', 'Current weather for a city', 'City name'].join('\n'));
  });

  it('tool declarations count as the Anthropic estimate counts tools: names and descriptions', () => {
    expect(geminiCountText({ generateContentRequest: { contents: [], tools } })).toBe(promptText({ tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: { properties: { city: { description: 'City name' } } } }] }));
  });
});

describe.each([...Object.keys(BACKENDS), 'anthropic'])("Gemini's countTokens on %s", (name) => {
  const backend = BACKENDS[name] ?? { provider: 'anthropic', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'sk-ant-gw' } };
  const path = '/v1beta/models/gemini-2.0-flash:countTokens';
  const counted = name === 'azureopenai' ? 'gpt-4o-prod' : name === 'openai' ? 'gpt-4o-mini' : 'gemini-2.0-flash';

  it('is answered by the gateway as {totalTokens}, estimated, without calling the provider', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'Write a haiku about Envoy.' }] }] };
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path, body }, () => {
      throw new Error('the provider must not be called');
    });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate?.status).toBe(200);
    expect(res.immediate?.body).toEqual({ totalTokens: countTokens('Write a haiku about Envoy.', counted) });
    expect(res.immediate?.headers).toMatchObject({ 'x-llm-tokens-estimated': 'true', 'x-llm-model': counted });
  });

  it("refuses a bad body with a 400 in Google's shape", async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path, body: { contents: [{ parts: 'hi' }] } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});
