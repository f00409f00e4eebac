// Anthropic's /v1/messages/count_tokens on providers without a counting API (OpenAI, Azure
// OpenAI, Bedrock), and Gemini's countTokens there and on Anthropic: the gateway answers itself
// with a tokenizer count, marked as an estimate, and never calls the provider; so does OpenAI's
// Responses input_tokens everywhere but OpenAI, Anthropic and Gemini models. Counts are
// checked against tiktoken directly.
import { describe, expect, it } from 'vitest';
import { geminiCountText, responsesCountText } from '../../src/providers/shared/estimated-count.js';
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

describe("the Responses API's input_tokens text", () => {
  const input = [
    { role: 'user', content: [{ type: 'input_text', text: 'Weather in Oslo?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' }] },
    { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAAABo-opaque' },
    { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    { type: 'function_call_output', call_id: 'call_1', output: '4 degrees' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It is 4 degrees.', annotations: [] }, { type: 'refusal', refusal: 'No more.' }] },
    { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'part out' }] },
  ];
  const tools = [
    { type: 'function', name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } } } },
    { type: 'web_search' },
  ];

  it('a string input and the instructions', () => {
    expect(responsesCountText({ instructions: 'You are terse.', input: 'Tell me a joke.' })).toBe('You are terse.\nTell me a joke.');
  });

  it('items: message text and refusals, a call name and arguments, call outputs; not images or reasoning', () => {
    expect(responsesCountText({ input })).toBe(['Weather in Oslo?', 'get_weather', '{"city":"Oslo"}', '4 degrees', 'It is 4 degrees.', 'No more.', 'part out'].join('\n'));
  });

  it('tools count as the other estimates count them: names and descriptions', () => {
    expect(responsesCountText({ input: [], tools })).toBe(promptText({ tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: { properties: { city: { description: 'City name' } } } }] }));
  });
});

const VERTEX = { provider: 'vertexai', projectId: 'p', location: 'us-central1', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Passthrough' } };
const RESPONSES_BACKENDS: Record<string, Record<string, unknown>> = {
  azureopenai: BACKENDS.azureopenai!,
  bedrock: BACKENDS.bedrock!,
  'vertexai (Claude)': VERTEX,
};

describe.each(Object.keys(RESPONSES_BACKENDS))("the Responses API's input_tokens on %s", (name) => {
  const backend = RESPONSES_BACKENDS[name]!;
  // Claude on Bedrock is counted by CountTokens (below): a model it does not count is estimated.
  const model = name === 'bedrock' ? 'amazon.nova-lite-v1:0' : name === 'azureopenai' ? 'gpt-4o' : 'claude-sonnet-4-5@20250929';
  const counted = name === 'azureopenai' ? 'gpt-4o-prod' : model;
  const body = {
    model,
    instructions: 'You are terse.',
    input: [
      { role: 'user', content: 'Weather in Oslo?' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '4 degrees' },
    ],
    tools: [{ type: 'function', name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: {} } }],
  };

  it("is answered by the gateway in OpenAI's shape, estimated, without calling the provider", async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path: '/v1/responses/input_tokens', headers: { authorization: 'Bearer ya29.t' }, body }, () => {
      throw new Error('the provider must not be called');
    });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate?.status).toBe(200);
    const want = countTokens(['You are terse.', 'Weather in Oslo?', 'get_weather', '{"city":"Oslo"}', '4 degrees', 'get_weather', 'Current weather for a city'].join('\n'), counted);
    expect(res.immediate?.body).toEqual({ object: 'response.input_tokens', input_tokens: want });
    expect(res.immediate?.headers).toMatchObject({ 'content-type': 'application/json', 'x-llm-tokens-estimated': 'true', 'x-llm-model': counted });
  });

  it("refuses a body that is not a Responses request (400 in OpenAI's shape)", async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path: '/v1/responses/input_tokens', body: { model, input: [{ type: 'function_call', name: 'f' }] } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_request' } });
  });

  it('refuses state it cannot see (a conversation), naming the field', async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path: '/v1/responses/input_tokens', body: { model, conversation: 'conv_123', input: 'And Bergen?' } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ error: { code: 'unsupported_field', param: 'conversation' } });
  });
});

describe("the Responses API's input_tokens where the provider counts", () => {
  const body = { model: 'gemini-2.5-flash', input: 'Hi' };
  it.each([
    ['anthropic', { provider: 'anthropic', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } }, { ...body, model: 'claude-sonnet-4-5' }, '/v1/messages/count_tokens'],
    ['gemini', { provider: 'gemini', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } }, body, '/v1beta/models/gemini-2.5-flash:countTokens'],
    ['vertexai (Gemini)', VERTEX, body, '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:countTokens'],
    ['bedrock (Claude)', BACKENDS.bedrock!, { ...body, model: 'anthropic.claude-3-5-haiku-20241022-v1:0' }, '/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/count-tokens'],
  ])('%s: sent to its count API, not estimated', async (_name, backend, b, path) => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: backend } }), { path: '/v1/responses/input_tokens', headers: { authorization: 'Bearer ya29.t' }, body: b });
    expect(res.immediate).toBeUndefined();
    expect(res.upstream?.headers[':path']).toBe(path);
  });
});

describe("Gemini's countTokens on Vertex AI", () => {
  const body = { contents: [{ role: 'user', parts: [{ text: 'Write a haiku about Envoy.' }] }] };
  it('a Claude model: estimated by the gateway', async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: VERTEX } }), { path: '/v1beta/models/claude-sonnet-4-5:countTokens', body });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate?.body).toEqual({ totalTokens: countTokens('Write a haiku about Envoy.', 'claude-sonnet-4-5') });
    expect(res.immediate?.headers['x-llm-tokens-estimated']).toBe('true');
  });

  it("a backend pinned to Anthropic's publisher: estimated whatever the path names", async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: { ...VERTEX, publisher: 'anthropic' } } }), { path: '/v1beta/models/gemini-2.5-flash:countTokens', body });
    expect(res.upstream).toBeUndefined();
    expect(res.immediate?.headers['x-llm-tokens-estimated']).toBe('true');
  });

  it("a Gemini model: Vertex's own :countTokens", async () => {
    const res = await drive(config({ defaultBackend: 'b', backends: { b: VERTEX } }), { path: '/v1beta/models/gemini-2.5-flash:countTokens', headers: { authorization: 'Bearer ya29.t' }, body });
    expect(res.immediate).toBeUndefined();
    expect(res.upstream?.headers[':path']).toBe('/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:countTokens');
  });
});
