// Client dialects against providers of another dialect, through a real Envoy with the
// official SDKs unchanged: @google/genai (Gemini native) against an OpenAI backend, and
// @anthropic-ai/sdk against an Azure OpenAI backend. The fakes check what they receive
// (path, credential, translated body) and refuse anything else the way the real APIs
// do, so a wrong translation fails here as it would in production.
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI, type Content } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const OPENAI_KEY = 'sk-gateway-openai';
const AZURE_KEY = 'azure-gateway-key';

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: unknown[];
}

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

/** A streamed tool call whose arguments arrive in fragments, as OpenAI sends them. */
function toolCallStream(model: string): string[] {
  const base = { id: 'chatcmpl-e2e-tools', object: 'chat.completion.chunk', created: 1727967470, model, system_fingerprint: 'fp_e2e' };
  const delta = (d: unknown, finish: string | null = null) => ev({ ...base, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }], usage: null });
  return [
    delta({ role: 'assistant', content: null }),
    delta({ tool_calls: [{ index: 0, id: 'call_e2eWeather', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] }),
    delta({ tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] }),
    delta({}, 'tool_calls'),
    ev({ ...base, choices: [], usage: { prompt_tokens: 61, completion_tokens: 17, total_tokens: 78, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } }),
    'data: [DONE]\n\n',
  ];
}

/** OpenAI's Chat Completions as far as these tests need: Bearer key, one path, realistic answers. */
function openaiFake(req: Recorded): Reply {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return { status: 404, json: { error: { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error', param: null, code: null } } };
  if (req.headers.authorization !== `Bearer ${OPENAI_KEY}`) {
    return { status: 401, json: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } };
  }
  const body = JSON.parse(req.body.toString()) as ChatBody;
  const last = body.messages.at(-1)!;
  const model = `${body.model}-2024-07-18`;
  if (last.content === 'rate limit me') {
    return { status: 429, json: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } };
  }
  // Tool messages must answer a tool call of the assistant message right before them, as OpenAI insists.
  if (last.role === 'tool') {
    const call = body.messages.at(-2)?.tool_calls?.find((c) => c.id === last.tool_call_id);
    if (!call) return { status: 400, json: { error: { message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", type: 'invalid_request_error', param: 'messages', code: null } } };
    return { json: chatCompletion(model, `Paris: ${String(last.content)}`, { prompt_tokens: 90, completion_tokens: 12, total_tokens: 102 }) };
  }
  if (last.content === 'fail midway' && body.stream) {
    const base = { id: 'chatcmpl-e2e-fail', object: 'chat.completion.chunk', created: 1727967470, model };
    return {
      sse: [
        ev({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'Once upon' }, logprobs: null, finish_reason: null }], usage: null }),
        ev({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }),
      ],
      delayMs: 20,
    };
  }
  if (body.tools && body.stream) return { sse: toolCallStream(model), delayMs: 5 };
  if (body.stream) return { sse: chatStream(model, ['Packets ', 'flow ', 'like ', 'streams'], body.stream_options?.include_usage === true), delayMs: 5 };
  return { json: chatCompletion(model, 'Hello from OpenAI', { prompt_tokens: 21, completion_tokens: 4, total_tokens: 25 }) };
}

/** Azure OpenAI: refuses a wrong deployment path, a missing api-version or key, as Azure does. */
function azureFake(req: Recorded): Reply {
  const url = new URL(req.url, 'http://azure.local');
  if (url.pathname !== '/openai/deployments/gpt-4o-prod/chat/completions') {
    return { status: 404, json: { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } } };
  }
  if (url.searchParams.get('api-version') !== '2024-10-21' || [...url.searchParams.keys()].length !== 1) {
    return { status: 404, json: { error: { code: '404', message: 'Resource not found' } } };
  }
  if (req.headers['api-key'] !== AZURE_KEY || req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined) {
    return { status: 401, json: { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } } };
  }
  const body = JSON.parse(req.body.toString()) as ChatBody;
  if (body.stream) return { sse: chatStream('gpt-4o-2024-08-06', ['Hi', ' from', ' Azure'], body.stream_options?.include_usage === true), delayMs: 5 };
  return { json: chatCompletion('gpt-4o-2024-08-06', 'Hello from Azure', { prompt_tokens: 31, completion_tokens: 5, total_tokens: 36 }) };
}

let openai: FakeUpstream, azure: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  openai = await startFakeUpstream(openaiFake);
  azure = await startFakeUpstream(azureFake);
  gw = await startGateway({
    backends: {
      openai: { provider: 'openai', endpoint: openai.url, authToken: { kind: 'Inline', inline: OPENAI_KEY } },
      azure: { provider: 'azureopenai', endpoint: azure.url, deployment: 'gpt-4o-prod', apiVersion: '2024-10-21', authToken: { kind: 'Inline', inline: AZURE_KEY } },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([openai?.close(), azure?.close()]);
});

const upstreamBody = (r: Recorded) => JSON.parse(r.body.toString()) as ChatBody & Record<string, unknown>;

describe('@google/genai against an OpenAI backend', () => {
  const ai = () => new GoogleGenAI({ apiKey: 'AIza-client-key', httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': 'openai' } } });

  it('generateContent becomes a chat completion and comes back as a GenerateContentResponse, usage counted', async () => {
    const res = await ai().models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'Say hello',
      config: { systemInstruction: 'Be brief.', temperature: 0.3, maxOutputTokens: 64, stopSequences: ['END'] },
    });
    expect(res.text).toBe('Hello from OpenAI');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 21, candidatesTokenCount: 4, totalTokenCount: 25 });
    expect(res.modelVersion).toBe('gpt-4o-mini-2024-07-18');
    expect(res.responseId).toBe('chatcmpl-AEHYs2B0XUlEioCduH1meERmMwBGF');
    const up = openai.last();
    expect(JSON.stringify(up.headers)).not.toContain('AIza-client-key');
    expect(up.headers['x-goog-api-key']).toBeUndefined();
    expect(upstreamBody(up)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      temperature: 0.3,
      max_tokens: 64,
      stop: ['END'],
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.total_tokens === 25);
    expect(log).toMatchObject({ provider: 'openai', request_model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-2024-07-18', input_tokens: 21, output_tokens: 4, tokens_estimated: false });
  });

  it('generateContentStream arrives as Gemini SSE, chunk by chunk, usage on the last chunk', async () => {
    const stream = await ai().models.generateContentStream({ model: 'gpt-4o-mini', contents: 'Write about Envoy' });
    const texts: string[] = [];
    let last: { usageMetadata?: unknown; candidates?: { finishReason?: string }[] } | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      last = chunk;
    }
    expect(texts.join('')).toBe('Packets flow like streams');
    expect(texts.filter((t) => t !== '').length).toBe(4);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 11, candidatesTokenCount: 4, totalTokenCount: 15, cachedContentTokenCount: 2 });
    const body = upstreamBody(openai.last());
    expect(body).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.total_tokens === 15);
    expect(log).toMatchObject({ input_tokens: 11, output_tokens: 4, cached_input_tokens: 2, tokens_estimated: false, stream_end: 'complete' });
  });

  it('a function call round trip: streamed argument fragments arrive as one whole functionCall, its response answers the call', async () => {
    const tools = [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }];
    const history: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
    const stream = await ai().models.generateContentStream({ model: 'gpt-4o-mini', contents: history, config: { tools } });
    const calls: { id?: string; name?: string; args?: Record<string, unknown> }[] = [];
    let modelTurn: Content | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.functionCalls ?? []) calls.push(c);
      if (chunk.functionCalls?.length) modelTurn = chunk.candidates![0]!.content;
    }
    // Gemini never streams partial arguments: one call, whole, with its args as an object.
    expect(calls).toEqual([{ id: 'call_e2eWeather', name: 'get_weather', args: { city: 'Paris' } }]);
    expect(upstreamBody(openai.last()).tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: tools[0]!.functionDeclarations[0]!.parametersJsonSchema } }]);
    await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.total_tokens === 78);

    // The client answers by name, without the id, as most Gemini code does.
    history.push(modelTurn!, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'cloudy', celsius: 18 } } }] });
    const res = await ai().models.generateContent({ model: 'gpt-4o-mini', contents: history, config: { tools } });
    expect(res.text).toBe('Paris: {"sky":"cloudy","celsius":18}');
    const body = upstreamBody(openai.last());
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_e2eWeather', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_e2eWeather', content: '{"sky":"cloudy","celsius":18}' },
    ]);
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'openai' && l.total_tokens === 102);
    expect(log).toMatchObject({ input_tokens: 90, output_tokens: 12 });
  });

  it('a field OpenAI cannot express is a 400 in Google\'s error shape, and never reaches the provider', async () => {
    const before = openai.requests.length;
    const err = await ai()
      .models.generateContent({ model: 'gpt-4o-mini', contents: 'hi', config: { topK: 40 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('unsupported_field: generationConfig.topK');
    expect((err as ApiError).message).toContain('INVALID_ARGUMENT');
    expect(openai.requests.length).toBe(before);
  });

  it('an error inside the OpenAI stream is raised by the SDK after the text before it, never a short success', async () => {
    const stream = await ai().models.generateContentStream({ model: 'gpt-4o-mini', contents: 'fail midway' });
    const texts: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) texts.push(chunk.text ?? '');
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['Once upon']);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
    expect((err as ApiError).message).toContain('The server had an error while processing your request');
  });

  it('an upstream error keeps its status and reaches the SDK as Google\'s error', async () => {
    const err = await ai()
      .models.generateContent({ model: 'gpt-4o-mini', contents: 'rate limit me' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toContain('Rate limit reached for requests');
    expect((err as ApiError).message).toContain('RESOURCE_EXHAUSTED');
  });
});

describe('@google/genai against an Azure OpenAI backend', () => {
  it('generateContentStream reaches the deployment with only api-version in the query and Azure\'s api-key', async () => {
    const ai = new GoogleGenAI({ apiKey: 'AIza-client-key', httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': 'azure' } } });
    const stream = await ai.models.generateContentStream({ model: 'gpt-4o', contents: 'Hello', config: { maxOutputTokens: 20 } });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe('Hi from Azure');
    const up = azure.last();
    // The SDK's ?alt=sse stays behind; the fake refuses any other query parameter.
    expect(up.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    expect(up.headers['api-key']).toBe(AZURE_KEY);
    expect(JSON.stringify(up.headers)).not.toContain('AIza-client-key');
    expect(upstreamBody(up)).toEqual({ model: 'gpt-4o-prod', messages: [{ role: 'user', content: 'Hello' }], stream: true, stream_options: { include_usage: true }, max_completion_tokens: 20 });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'azure' && l.total_tokens === 14 && String(l.path).endsWith(':streamGenerateContent'));
    expect(log).toMatchObject({ provider: 'azureopenai', input_tokens: 11, output_tokens: 3 });
  });
});

describe('@anthropic-ai/sdk against an Azure OpenAI backend', () => {
  const client = () => new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client-key', defaultHeaders: { 'x-llm-backend': 'azure' }, maxRetries: 0 });

  it('messages.create reaches the deployment with api-version and api-key, and comes back as a message', async () => {
    const msg = await client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] });
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello from Azure' }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({ input_tokens: 31, output_tokens: 5 });
    const up = azure.last();
    expect(up.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    expect(up.headers['api-key']).toBe(AZURE_KEY);
    expect(JSON.stringify(up.headers)).not.toContain('sk-ant-client-key');
    expect(up.headers['anthropic-version']).toBeUndefined();
    expect(upstreamBody(up)).toEqual({
      model: 'gpt-4o-prod',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
      max_completion_tokens: 100,
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'azure' && l.total_tokens === 36);
    expect(log).toMatchObject({ provider: 'azureopenai', request_model: 'gpt-4o-prod', input_tokens: 31, output_tokens: 5 });
  });

  it('a stream arrives as Anthropic events with the usage counted', async () => {
    const stream = client().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const msg = await stream.finalMessage();
    expect(deltas).toEqual(['Hi', ' from', ' Azure']);
    expect(msg.content).toEqual([{ type: 'text', text: 'Hi from Azure' }]);
    expect(msg.usage).toMatchObject({ input_tokens: 9, output_tokens: 3, cache_read_input_tokens: 2 });
    expect(upstreamBody(azure.last())).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'azure' && l.total_tokens === 14 && l.path === '/v1/messages');
    expect(log).toMatchObject({ input_tokens: 11, output_tokens: 3, cached_input_tokens: 2, stream_end: 'complete' });
  });
});
