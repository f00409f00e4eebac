// @anthropic-ai/sdk, unchanged, against a Gemini backend through a real Envoy: messages.create,
// messages.stream (text, tool_use input, thinking with its signature), a tool round trip that
// needs the thought signature back (as Gemini 3 insists), count_tokens (Gemini's countTokens,
// and an OpenAI backend's estimate), errors. The fake Gemini checks what it receives the way
// Google's API does: its key, its paths, known fields only, function responses that answer
// declared functions, signatures on the function calls it signed.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const GEMINI_KEY = 'AIza-gateway-gemini';
const CALL_SIGNATURE = 'CiQBVKhc7e2eCallSig==';
const THOUGHT_SIGNATURE = 'Cs0BAVSoXO4e2eThought==';

interface Part {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
  inlineData?: { mimeType: string; data: string };
}
interface GenerateBody {
  contents: { role: string; parts: Part[] }[];
  systemInstruction?: { parts: Part[] };
  tools?: { functionDeclarations: { name: string; parameters?: unknown }[] }[];
  toolConfig?: unknown;
  generationConfig?: { maxOutputTokens?: number; thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean }; [k: string]: unknown };
}

const TOP_LEVEL = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent']);
const GENERATION = new Set(['maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'thinkingConfig', 'responseMimeType', 'responseJsonSchema', 'responseSchema']);

const sse = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;
const bad = (message: string): Reply => ({ status: 400, json: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } });
const usage = (prompt: number, out: number, thoughts = 0) => ({ promptTokenCount: prompt, candidatesTokenCount: out, totalTokenCount: prompt + out + thoughts, ...(thoughts ? { thoughtsTokenCount: thoughts } : {}) });

/** Google's checks on a GenerateContentRequest, as far as a wrong translation would trip them. */
function refuse(body: GenerateBody): Reply | undefined {
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
  for (const k of Object.keys(body.generationConfig ?? {})) if (!GENERATION.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}" at 'generation_config': Cannot find field.`);
  const declared = new Set((body.tools ?? []).flatMap((t) => t.functionDeclarations.map((d) => d.name)));
  for (const c of body.contents) {
    if (c.role !== 'user' && c.role !== 'model') return bad(`Please use a valid role: user, model.`);
    for (const p of c.parts) {
      if (p.functionCall && !p.thoughtSignature) return bad('Function call is missing a thought_signature in functionCall parts.');
      if (p.functionResponse && !declared.has(p.functionResponse.name)) return bad(`function response names ${p.functionResponse.name}, which is not declared`);
    }
  }
  return undefined;
}

function answer(model: string, stream: boolean, body: GenerateBody): Reply {
  const last = body.contents.at(-1)!;
  const lastText = last.parts.map((p) => p.text ?? '').join('');
  const base = { modelVersion: model, responseId: 'e2e-resp' };
  if (lastText === 'rate limit me') return { status: 429, json: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } } };
  const result = last.parts.find((p) => p.functionResponse)?.functionResponse;
  if (result) {
    const text = `Paris: ${String(result.response.sky)}, ${String(result.response.celsius)}°C`;
    return { json: { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(80, 9), ...base } };
  }
  if (!stream) return { json: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello from ' }, { text: 'Gemini' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(14, 4), ...base } };
  if (body.generationConfig?.thinkingConfig?.includeThoughts) {
    return {
      sse: [
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Divisors up to 9: ', thought: true }] }, index: 0 }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 }, ...base }),
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'none.', thought: true, thoughtSignature: THOUGHT_SIGNATURE }] }, index: 0 }], ...base }),
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: '97 is prime.' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(7, 5, 60), ...base }),
      ],
    };
  }
  if (body.tools) {
    return {
      sse: [
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Let me ' }] }, index: 0 }], usageMetadata: { promptTokenCount: 50, totalTokenCount: 50 }, ...base }),
        sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'check.' }] }, index: 0 }], ...base }),
        sse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: CALL_SIGNATURE }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(50, 11), ...base }),
      ],
    };
  }
  return {
    sse: [
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, index: 0 }], usageMetadata: { promptTokenCount: 6, totalTokenCount: 6 }, ...base }),
      sse({ candidates: [{ content: { role: 'model', parts: [{ text: ' there' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(6, 2), ...base }),
    ],
  };
}

/** Google AI Studio's Gemini API as far as these tests need it. */
function geminiFake(req: Recorded): Reply {
  if (req.headers['x-goog-api-key'] !== GEMINI_KEY) return { status: 400, json: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } } };
  const m = /^\/v1beta\/models\/([^/:?]+):(generateContent|streamGenerateContent|countTokens)(\?alt=sse)?$/.exec(req.url);
  if (req.method !== 'POST' || !m) return { status: 404, json: { error: { code: 404, message: `not found: ${req.url}`, status: 'NOT_FOUND' } } };
  const [, model, method, alt] = m;
  const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
  if (method === 'countTokens') {
    const inner = body.generateContentRequest as (GenerateBody & { model?: string }) | undefined;
    if (!inner || Object.keys(body).length !== 1) return bad('countTokens with a system instruction or tools takes them in generateContentRequest');
    if (inner.model !== `models/${model}`) return bad(`generateContentRequest.model must be models/${model}`);
    const { model: _m, ...rest } = inner;
    return refuse(rest) ?? { json: { totalTokens: 23, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 23 }] } };
  }
  if ((method === 'streamGenerateContent') !== (alt !== undefined)) return bad('streamGenerateContent is asked with alt=sse here');
  return refuse(body as unknown as GenerateBody) ?? answer(model!, method === 'streamGenerateContent', body as unknown as GenerateBody);
}

const VERTEX_TOKEN = 'ya29.e2e-client-token';
const VERTEX_MODELS = '/v1/projects/e2e-project/locations/us-central1/publishers/google/models/';
const COUNT_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'generationConfig']);

/** Vertex AI's Gemini models: the same wire format under the project's resource path, a Bearer token, countTokens without a wrapper. */
function vertexFake(req: Recorded): Reply {
  if (req.headers.authorization !== `Bearer ${VERTEX_TOKEN}`) return { status: 401, json: [{ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }] };
  if (!req.url.startsWith(VERTEX_MODELS)) return { status: 404, json: [{ error: { code: 404, message: `not found: ${req.url}`, status: 'NOT_FOUND' } }] };
  const m = /^([^/:?]+):(generateContent|streamGenerateContent|countTokens)(\?alt=sse)?$/.exec(req.url.slice(VERTEX_MODELS.length));
  if (req.method !== 'POST' || !m) return { status: 404, json: [{ error: { code: 404, message: `not found: ${req.url}`, status: 'NOT_FOUND' } }] };
  const [, model, method] = m;
  const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
  if (method === 'countTokens') {
    for (const k of Object.keys(body)) if (!COUNT_FIELDS.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
    return refuse(body as unknown as GenerateBody) ?? { json: { totalTokens: 17, totalBillableCharacters: 60 } };
  }
  return refuse(body as unknown as GenerateBody) ?? answer(model!, method === 'streamGenerateContent', body as unknown as GenerateBody);
}

let gemini: FakeUpstream;
let vertex: FakeUpstream;
let openai: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  gemini = await startFakeUpstream(geminiFake);
  openai = await startFakeUpstream(() => ({ status: 500, json: { error: { message: 'the OpenAI fake must not be called for count_tokens' } } }));
  vertex = await startFakeUpstream(vertexFake);
  gw = await startGateway({
    defaultBackend: 'gemini',
    backends: {
      gemini: { provider: 'gemini', endpoint: gemini.url, authToken: { kind: 'Inline', inline: GEMINI_KEY } },
      openai: { provider: 'openai', endpoint: openai.url, model: 'gpt-4o-mini', authToken: { kind: 'Inline', inline: 'sk-gw-openai' } },
      vertex: { provider: 'vertexai', projectId: 'e2e-project', location: 'us-central1', endpoint: vertex.url, authToken: { kind: 'Passthrough' } },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([gemini?.close(), openai?.close(), vertex?.close()]);
});

const client = (backend = 'gemini') => new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-client-key', defaultHeaders: { 'x-llm-backend': backend }, maxRetries: 0 });
const sent = (r: Recorded) => JSON.parse(r.body.toString()) as GenerateBody;

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string', description: 'City name' } }, required: ['city'], additionalProperties: false },
};

describe('@anthropic-ai/sdk against a Gemini backend', () => {
  it('messages.create becomes generateContent and comes back as a message, usage counted', async () => {
    const msg = await client().messages.create({ model: 'gemini-2.5-flash', max_tokens: 100, system: 'Be brief.', temperature: 0.2, messages: [{ role: 'user', content: 'Hello' }] });
    expect(msg.content).toEqual([{ type: 'text', text: 'Hello from Gemini' }]);
    expect(msg).toMatchObject({ id: 'msg_e2e-resp', model: 'gemini-2.5-flash', stop_reason: 'end_turn', usage: { input_tokens: 14, output_tokens: 4 } });
    const up = gemini.last();
    expect(up.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(JSON.stringify(up.headers)).not.toContain('sk-ant-client-key');
    expect(up.headers['anthropic-version']).toBeUndefined();
    expect(sent(up)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 100, temperature: 0.2 },
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'gemini' && l.total_tokens === 18);
    expect(log).toMatchObject({ provider: 'gemini', request_model: 'gemini-2.5-flash', input_tokens: 14, output_tokens: 4, tokens_estimated: false });
  });

  it('messages.stream: text events, a tool_use with its whole input, and a round trip that sends the signature back', async () => {
    const params = { model: 'gemini-2.5-flash', max_tokens: 200, tools: [WEATHER_TOOL], messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
    const stream = client().messages.stream(params);
    const texts: string[] = [];
    const json: string[] = [];
    stream.on('text', (t) => texts.push(t));
    stream.on('inputJson', (partial) => json.push(partial));
    const msg = await stream.finalMessage();
    expect(texts).toEqual(['Let me ', 'check.']);
    expect(json).toEqual(['{"city":"Paris"}']);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage).toMatchObject({ input_tokens: 50, output_tokens: 11 });
    const tool = msg.content.find((b) => b.type === 'tool_use');
    expect(tool).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(gemini.last().url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(sent(gemini.last()).tools).toEqual([
      { functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', description: 'City name' } }, required: ['city'] } }] },
    ]);
    await gw.waitForAccessLogEntry((l) => l.backend === 'gemini' && l.total_tokens === 61 && l.stream_end === 'complete');

    // The next turn, as an agent sends it: the assistant content unchanged, then the result.
    const next = await client().messages.create({
      ...params,
      messages: [...params.messages, { role: 'assistant', content: msg.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: (tool as { id: string }).id, content: '{"sky":"cloudy","celsius":18}' }] }],
    });
    expect(next.content).toEqual([{ type: 'text', text: 'Paris: cloudy, 18°C' }]);
    expect(sent(gemini.last()).contents.slice(1)).toEqual([
      { role: 'model', parts: [{ text: 'Let me check.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: CALL_SIGNATURE }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'cloudy', celsius: 18 } } }] },
    ]);
  });

  it('thinking enabled: thinkingConfig upstream, a thinking block with the thought text and its signature back', async () => {
    const stream = client().messages.stream({ model: 'gemini-2.5-pro', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Is 97 prime?' }] });
    const thoughts: string[] = [];
    stream.on('thinking', (delta) => thoughts.push(delta));
    const msg = await stream.finalMessage();
    expect(thoughts).toEqual(['Divisors up to 9: ', 'none.']);
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'Divisors up to 9: none.', signature: `gemini:${THOUGHT_SIGNATURE}` },
      { type: 'text', text: '97 is prime.' },
    ]);
    expect(msg.usage).toMatchObject({ input_tokens: 7, output_tokens: 65 });
    expect(sent(gemini.last()).generationConfig).toEqual({ maxOutputTokens: 2048, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    const log = await gw.waitForAccessLogEntry((l) => l.request_model === 'gemini-2.5-pro' && l.total_tokens === 72);
    expect(log).toMatchObject({ output_tokens: 65, reasoning_tokens: 60 });
  });

  it('count_tokens is answered by Gemini\'s countTokens', async () => {
    const res = await client().messages.countTokens({ model: 'gemini-2.5-flash', system: 'Be brief.', tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in Paris?' }] }).withResponse();
    expect(res.data).toEqual({ input_tokens: 23 });
    expect(res.response.headers.get('x-llm-tokens-estimated')).toBeNull();
    const up = gemini.last();
    expect(up.url).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
    expect(JSON.parse(up.body.toString())).toMatchObject({ generateContentRequest: { model: 'models/gemini-2.5-flash', systemInstruction: { parts: [{ text: 'Be brief.' }] } } });
  });

  it('count_tokens on an OpenAI backend is estimated by the gateway and says so; OpenAI is not called', async () => {
    const before = openai.requests.length;
    const res = await client('openai').messages.countTokens({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }] }).withResponse();
    expect(res.data.input_tokens).toBeGreaterThan(8);
    expect(res.data.input_tokens).toBeLessThan(20);
    expect(res.response.headers.get('x-llm-tokens-estimated')).toBe('true');
    expect(res.response.headers.get('x-llm-backend')).toBe('openai');
    expect(openai.requests.length).toBe(before);
  });

  it('an upstream error keeps its status and reaches the SDK as Anthropic\'s error', async () => {
    const err = await client().messages.create({ model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'rate limit me' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.RateLimitError>).status).toBe(429);
    expect((err as Error).message).toContain('RESOURCE_EXHAUSTED: Resource has been exhausted');
  });

  it('a field Gemini cannot express is a 400 naming it, and never reaches Gemini', async () => {
    const before = gemini.requests.length;
    const err = await client()
      .messages.create({ model: 'gemini-2.5-flash', max_tokens: 10, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'News?' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('unsupported_field');
    expect((err as Error).message).toContain('web_search_20250305');
    expect(gemini.requests.length).toBe(before);
  });
});

describe('@anthropic-ai/sdk against Gemini models on Vertex AI', () => {
  const vclient = () => new Anthropic({ baseURL: gw.url, authToken: VERTEX_TOKEN, apiKey: null, defaultHeaders: { 'x-llm-backend': 'vertex' }, maxRetries: 0 });

  it('messages.stream reaches the google publisher path with the client\'s token; tool_use comes back whole', async () => {
    const stream = vclient().messages.stream({ model: 'gemini-2.5-flash', max_tokens: 200, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const msg = await stream.finalMessage();
    expect(msg.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(msg.stop_reason).toBe('tool_use');
    expect(vertex.last().url).toBe(`${VERTEX_MODELS}gemini-2.5-flash:streamGenerateContent?alt=sse`);
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'vertex' && l.total_tokens === 61);
    expect(log).toMatchObject({ provider: 'vertexai', input_tokens: 50, output_tokens: 11 });
  });

  it('count_tokens is Vertex\'s countTokens, system and tools at the top level', async () => {
    const res = await vclient().messages.countTokens({ model: 'gemini-2.5-flash', system: 'Be brief.', tools: [WEATHER_TOOL], tool_choice: { type: 'auto' }, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(res).toEqual({ input_tokens: 17 });
    expect(vertex.last().url).toBe(`${VERTEX_MODELS}gemini-2.5-flash:countTokens`);
    expect(Object.keys(JSON.parse(vertex.last().body.toString())).sort()).toEqual(['contents', 'systemInstruction', 'tools']);
  });

  it('a Google error from Vertex (a one-element array) reaches the SDK as Anthropic\'s error, status kept', async () => {
    const err = await new Anthropic({ baseURL: gw.url, authToken: 'ya29.wrong', apiKey: null, defaultHeaders: { 'x-llm-backend': 'vertex' }, maxRetries: 0 })
      .messages.create({ model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as Error).message).toContain('UNAUTHENTICATED: Request had invalid authentication credentials.');
  });
});
