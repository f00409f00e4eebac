// The OpenAI Responses API against providers served through their OpenAI-Chat translators:
// the official openai SDK, unchanged, through a real Envoy and the processor, to a fake
// Gemini API (x-goog-api-key, generateContent / streamGenerateContent?alt=sse, known fields
// only, each functionResponse answering a functionCall of the turn before) and a fake Bedrock
// Runtime (SigV4 verified as AWS does, Converse / ConverseStream as an AWS event stream,
// each toolResult answering a toolUse of the turn before). responses.create and
// responses.stream (text, a function call with streamed arguments, the round trip that sends
// the call and its output back), refusals and upstream errors. Reasoning: Claude's
// reasoningContent (Bedrock) and Gemini's thought parts come back as reasoning items, their
// text the summary the stream helper sees; a Gemini 3 fake that, like Gemini 3, refuses a
// replayed functionCall without its thoughtSignature proves the signature's round trip
// through a reasoning item's encrypted_content.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { encodeEvent } from '../../src/usage/eventstream.js';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const GEMINI_KEY = 'AIza-gateway-e2e';
const GEMINI_MODEL = 'gemini-2.5-flash';
const GEMINI3_MODEL = 'gemini-3-pro-preview';
const SIGNATURE = 'CtwBAdHtim9qQnTdr2lbuJBvT3Ld0cSRVYnqNzQ8k1xFhV7hG5yPzW3mRa0Jq4sE';
const BEDROCK_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const BEDROCK_THINKING_MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const creds = (f: string) => ({ file: join(FIXTURES, 'openai-bedrock', '_creds', f) });

const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

// ---------------------------------------------------------------- Gemini

type Part = { text?: string; thought?: boolean; thoughtSignature?: string; functionCall?: { name: string; args: unknown }; functionResponse?: { name: string; response: unknown } };
interface GenerateBody {
  contents: { role: string; parts: Part[] }[];
  systemInstruction?: { parts: Part[] };
  tools?: unknown[];
  toolConfig?: unknown;
  generationConfig?: Record<string, unknown>;
  [k: string]: unknown;
}
const GEMINI_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent']);
const googleError = (code: number, status: string, message: string): Reply => ({ status: code, json: { error: { code, message, status } } });
const geminiChunk = (parts: Part[], extra: Record<string, unknown> = {}, usageMetadata?: Record<string, number>, model = GEMINI_MODEL) =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], ...(usageMetadata ? { usageMetadata } : {}), modelVersion: model, responseId: 'gm-e2e' })}\n\n`;

/** Gemini's checks, as far as a wrong translation would trip them. */
function geminiRefuse(body: GenerateBody): Reply | undefined {
  for (const k of Object.keys(body)) if (!GEMINI_FIELDS.has(k)) return googleError(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
  let called: string[] = [];
  for (const [i, c] of body.contents.entries()) {
    if (c.role !== 'user' && c.role !== 'model') return googleError(400, 'INVALID_ARGUMENT', `contents[${i}].role: ${c.role}`);
    const responses = c.parts.filter((p) => p.functionResponse);
    if (responses.length > 0 && responses.some((r) => !called.includes(r.functionResponse!.name))) return googleError(400, 'INVALID_ARGUMENT', `contents[${i}]: a function response names no call of the turn before`);
    called = c.parts.filter((p) => p.functionCall).map((p) => p.functionCall!.name);
  }
  return undefined;
}

function geminiFake(req: Recorded): Reply {
  if (req.headers['x-goog-api-key'] !== GEMINI_KEY) return googleError(403, 'PERMISSION_DENIED', 'API key not valid.');
  if (req.headers.authorization !== undefined) return googleError(400, 'INVALID_ARGUMENT', 'the OpenAI client key must not reach Google');
  const route = /^\/v1beta\/models\/([^:/]+):(generateContent|streamGenerateContent\?alt=sse)$/.exec(req.url);
  const model = route?.[1];
  if (req.method !== 'POST' || (model !== GEMINI_MODEL && model !== GEMINI3_MODEL)) return googleError(404, 'NOT_FOUND', `no route ${req.method} ${req.url}`);
  const stream = route![2] !== 'generateContent';
  const body = JSON.parse(req.body.toString()) as GenerateBody;
  const refused = geminiRefuse(body);
  if (refused) return refused;
  // Thought summaries come only when asked for.
  const thoughts = (body.generationConfig?.thinkingConfig as { includeThoughts?: boolean } | undefined)?.includeThoughts === true;
  if (model === GEMINI3_MODEL) return gemini3(body, thoughts);
  const last = body.contents.at(-1)!;
  const text = last.parts.map((p) => p.text ?? '').join('');
  if (text === 'rate limit me') return googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
  const result = last.parts.find((p) => p.functionResponse);
  if (result) {
    const said = `Paris: ${String((result.functionResponse!.response as { output?: unknown }).output)}`;
    return { json: { candidates: [{ content: { role: 'model', parts: [{ text: said }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 5, totalTokenCount: 45 }, modelVersion: GEMINI_MODEL, responseId: 'gm-done' } };
  }
  if (!stream && thoughts) {
    const parts = [{ text: 'A greeting; answer in kind.', thought: true }, { text: 'Hello from Gemini' }];
    return { json: { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, thoughtsTokenCount: 21, totalTokenCount: 34 }, modelVersion: GEMINI_MODEL, responseId: 'gm-think' } };
  }
  if (!stream) {
    return { json: { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello from Gemini' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13, cachedContentTokenCount: 2 }, modelVersion: GEMINI_MODEL, responseId: 'gm-hello' } };
  }
  if (body.tools) {
    return {
      sse: [
        geminiChunk([{ text: 'Let me check.' }]),
        geminiChunk([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], { finishReason: 'STOP' }, { promptTokenCount: 30, candidatesTokenCount: 12, totalTokenCount: 42 }),
      ],
      delayMs: 2,
    };
  }
  return {
    sse: [
      geminiChunk([{ text: 'Hi' }]),
      geminiChunk([{ text: ' there' }], { finishReason: 'STOP' }, { promptTokenCount: 6, candidatesTokenCount: 2, totalTokenCount: 8 }),
    ],
    delayMs: 2,
  };
}

/** Gemini 3: a functionCall sent back must carry the thoughtSignature it came with; the first call of a turn has one. */
function gemini3(body: GenerateBody, thoughts: boolean): Reply {
  for (const [i, c] of body.contents.entries()) {
    for (const p of c.parts) {
      if (p.functionCall && p.thoughtSignature === undefined) return googleError(400, 'INVALID_ARGUMENT', `Function call is missing a thought_signature in functionCall parts. Additional data, function call \`${p.functionCall.name}\`, position ${i}.`);
      if (p.thoughtSignature !== undefined && p.thoughtSignature !== SIGNATURE) return googleError(400, 'INVALID_ARGUMENT', 'Corrupted thought signature.');
    }
  }
  const result = body.contents.at(-1)!.parts.find((p) => p.functionResponse);
  if (result) {
    const said = `Paris: ${String((result.functionResponse!.response as { output?: unknown }).output)}`;
    return { json: { candidates: [{ content: { role: 'model', parts: [{ text: said }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 60, candidatesTokenCount: 5, totalTokenCount: 65 }, modelVersion: GEMINI3_MODEL, responseId: 'gm3-done' } };
  }
  return {
    sse: [
      ...(thoughts ? [geminiChunk([{ text: 'The user wants the weather: ', thought: true }], {}, undefined, GEMINI3_MODEL), geminiChunk([{ text: 'call get_weather.', thought: true }], {}, undefined, GEMINI3_MODEL)] : []),
      geminiChunk([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE }], { finishReason: 'STOP' }, { promptTokenCount: 30, candidatesTokenCount: 12, thoughtsTokenCount: 80, totalTokenCount: 122 }, GEMINI3_MODEL),
    ],
    delayMs: 2,
  };
}

// ---------------------------------------------------------------- Bedrock

type ConverseBlock = { text?: string; reasoningContent?: unknown; toolUse?: { toolUseId: string; name: string; input: unknown }; toolResult?: { toolUseId: string; content: { text?: string }[] } };
interface ConverseBody {
  messages: { role: string; content: ConverseBlock[] }[];
  system?: { text: string }[];
  inferenceConfig?: Record<string, unknown>;
  toolConfig?: { tools: unknown[]; toolChoice?: unknown };
  [k: string]: unknown;
}
const CONVERSE_FIELDS = new Set(['messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields', 'requestMetadata', 'guardrailConfig', 'performanceConfig']);
const validation = (message: string): Reply => ({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, json: { message } });
const frame = (event: string, body: Record<string, unknown>) => Buffer.from(encodeEvent({ ':event-type': event, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(body)));

function bedrockRefuse(body: ConverseBody): Reply | undefined {
  for (const k of Object.keys(body)) if (!CONVERSE_FIELDS.has(k)) return validation(`Malformed input request: extraneous key [${k}] is not permitted`);
  let role = '';
  let uses: string[] = [];
  for (const [i, m] of body.messages.entries()) {
    if (m.role === role) return validation('A conversation must alternate between user and assistant roles.');
    role = m.role;
    for (const b of m.content) if (b.toolResult && !uses.includes(b.toolResult.toolUseId)) return validation(`messages.${i}: toolResult ${b.toolResult.toolUseId} answers no toolUse of the turn before`);
    uses = m.content.filter((b) => b.toolUse).map((b) => b.toolUse!.toolUseId);
  }
  if (body.messages.some((m) => m.content.some((b) => b.toolUse || b.toolResult)) && !body.toolConfig) return validation('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  return undefined;
}

function bedrockFake(req: Recorded): Reply {
  if (!verifySigV4(req, 'us-east-1', 'bedrock')) return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
  const route = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url);
  const model = route ? decodeURIComponent(route[1]!) : undefined;
  if (req.method !== 'POST' || (model !== BEDROCK_MODEL && model !== BEDROCK_THINKING_MODEL)) return { status: 404, json: { message: `no route ${req.method} ${req.url}` } };
  const stream = route![2] === 'converse-stream';
  const body = JSON.parse(req.body.toString()) as ConverseBody;
  const refused = bedrockRefuse(body);
  if (refused) return refused;
  const thinking = (body.additionalModelRequestFields as { thinking?: { type: string; budget_tokens: number } } | undefined)?.thinking;
  if (thinking) return bedrockThinking(body, thinking, stream);
  const result = body.messages.at(-1)!.content.find((b) => b.toolResult);
  if (result) {
    const said = `Paris: ${result.toolResult!.content.map((c) => c.text ?? '').join('')}`;
    return { json: { output: { message: { role: 'assistant', content: [{ text: said }] } }, stopReason: 'end_turn', usage: { inputTokens: 70, outputTokens: 6, totalTokens: 76 }, metrics: { latencyMs: 300 } } };
  }
  if (!stream) {
    return { headers: { 'x-amzn-requestid': 'br-e2e-hello' }, json: { output: { message: { role: 'assistant', content: [{ text: 'Hello from Bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 11, outputTokens: 4, totalTokens: 15 }, metrics: { latencyMs: 200 } } };
  }
  const frames = [
    frame('messageStart', { role: 'assistant' }),
    frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Let me ' } }),
    frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'check.' } }),
    frame('contentBlockStop', { contentBlockIndex: 0 }),
    frame('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_e2eParis', name: 'get_weather' } } }),
    frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city": "Pa' } } }),
    frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: 'ris"}' } } }),
    frame('contentBlockStop', { contentBlockIndex: 1 }),
    frame('messageStop', { stopReason: 'tool_use' }),
    frame('metadata', { usage: { inputTokens: 55, outputTokens: 20, totalTokens: 75 }, metrics: { latencyMs: 500 } }),
  ];
  return { headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'br-e2e-stream' }, chunks: frames, delayMs: 2 };
}

/** Claude 4.5 on Converse with thinking on: a valid budget, reasoningContent (text, then its signature) before the answer. */
function bedrockThinking(body: ConverseBody, thinking: { type: string; budget_tokens: number }, stream: boolean): Reply {
  const max = (body.inferenceConfig as { maxTokens?: number } | undefined)?.maxTokens ?? 0;
  if (thinking.type !== 'enabled' || thinking.budget_tokens < 1024 || thinking.budget_tokens >= max) return validation(`thinking: ${JSON.stringify(thinking)} with maxTokens ${max}`);
  const signature = 'ErUBCkYIBRgCIkDq3v9bQm2xKp7sT1fY0aZcLw8hN4eRjU6oVgM5iBtS2dPq';
  const usage = { inputTokens: 20, outputTokens: 90, totalTokens: 110 };
  if (!stream) {
    const content = [{ reasoningContent: { reasoningText: { text: '17 x 20 = 340, plus 51.', signature } } }, { text: '391' }];
    return { json: { output: { message: { role: 'assistant', content } }, stopReason: 'end_turn', usage, metrics: { latencyMs: 900 } } };
  }
  const frames = [
    frame('messageStart', { role: 'assistant' }),
    frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: '17 x 20 = 340, ' } } }),
    frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'plus 51.' } } }),
    frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature } } }),
    frame('contentBlockStop', { contentBlockIndex: 0 }),
    frame('contentBlockDelta', { contentBlockIndex: 1, delta: { text: '391' } }),
    frame('contentBlockStop', { contentBlockIndex: 1 }),
    frame('messageStop', { stopReason: 'end_turn' }),
    frame('metadata', { usage, metrics: { latencyMs: 900 } }),
  ];
  return { headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'br-e2e-think' }, chunks: frames, delayMs: 2 };
}

// ---------------------------------------------------------------- the gateway

let gemini: FakeUpstream;
let bedrock: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  gemini = await startFakeUpstream(geminiFake);
  bedrock = await startFakeUpstream(bedrockFake);
  gw = await startGateway({
    defaultBackend: 'gemini',
    backends: {
      gemini: { provider: 'gemini', endpoint: gemini.url, authToken: { kind: 'Inline', inline: GEMINI_KEY } },
      bedrock: { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([gemini?.close(), bedrock?.close()]);
});

const client = (backend: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-openai-client', defaultHeaders: { 'x-llm-backend': backend }, maxRetries: 0 });
const sent = <T>(r: Recorded) => JSON.parse(r.body.toString()) as T;

/** Streams a weather question with the tool; returns what the stream helper assembled and saw. */
async function weatherStream(backend: string, model: string) {
  const input = [{ role: 'user' as const, content: 'Weather in Paris?' }];
  const stream = client(backend).responses.stream({ model, input, tools: [WEATHER] });
  let text = '';
  const args: string[] = [];
  const types: string[] = [];
  stream.on('event', (e) => types.push(e.type));
  stream.on('response.output_text.delta', (e) => (text += e.delta));
  stream.on('response.function_call_arguments.delta', (e) => args.push(e.delta));
  const final = await stream.finalResponse();
  return { input, final, text, args, types };
}

describe("the openai SDK's Responses API against a Gemini backend, through Envoy", () => {
  it('responses.create: generateContent with systemInstruction and generationConfig, the gateway\'s key; a response object back, usage counted', async () => {
    const r = await client('gemini').responses.create({ model: GEMINI_MODEL, instructions: 'Be brief.', input: 'Hello', max_output_tokens: 100, temperature: 0.2 });
    expect(r.output_text).toBe('Hello from Gemini');
    expect(r).toMatchObject({ id: 'resp_gm-hello', object: 'response', status: 'completed', model: GEMINI_MODEL, store: false });
    expect(r.usage).toEqual({ input_tokens: 9, input_tokens_details: { cached_tokens: 2 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 13 });
    const up = gemini.last();
    expect(JSON.stringify(up.headers)).not.toContain('sk-openai-client');
    expect(sent<GenerateBody>(up)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 100, temperature: 0.2 },
    });
    const log = await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.backend === 'gemini' && l.total_tokens === 13);
    expect(log).toMatchObject({ provider: 'gemini', request_model: GEMINI_MODEL, response_model: GEMINI_MODEL, input_tokens: 9, output_tokens: 4, cached_input_tokens: 2, tokens_estimated: false });
  });

  it('responses.stream: text, then a function call whose arguments arrive as a delta; finalResponse() has both; the call and its output go back as functionCall and functionResponse', async () => {
    const { input, final, text, args, types } = await weatherStream('gemini', GEMINI_MODEL);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check.');
    expect(text).toBe('Let me check.');
    expect(args.join('')).toBe('{"city":"Paris"}');
    const call = final.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 12, total_tokens: 42 });
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const up = gemini.last();
    expect(up.url).toBe(`/v1beta/models/${GEMINI_MODEL}:streamGenerateContent?alt=sse`);
    expect(sent<GenerateBody>(up).tools).toEqual([{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }]);
    await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.backend === 'gemini' && l.total_tokens === 42 && l.stream_end === 'complete');

    const next = await client('gemini').responses.create({ model: GEMINI_MODEL, input: [...input, ...final.output, { type: 'function_call_output', call_id: call.call_id, output: 'cloudy, 18°C' }], tools: [WEATHER] } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(next.output_text).toBe('Paris: cloudy, 18°C');
    expect(sent<GenerateBody>(gemini.last()).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: [{ text: 'Let me check.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'cloudy, 18°C' } } }] },
    ]);
  });

  it('responses.stream of plain text: finalResponse().output_text, streamed usage in the access log', async () => {
    const final = await client('gemini').responses.stream({ model: GEMINI_MODEL, input: 'Say hi' }).finalResponse();
    expect(final.output_text).toBe('Hi there');
    expect(final.usage).toMatchObject({ input_tokens: 6, output_tokens: 2, total_tokens: 8 });
    await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.backend === 'gemini' && l.total_tokens === 8 && l.stream_end === 'complete');
  });

  it('reasoning.summary: includeThoughts upstream; the thought part comes back as a reasoning item before the message, thoughts as reasoning_tokens', async () => {
    const r = await client('gemini').responses.create({ model: GEMINI_MODEL, input: 'Hello', reasoning: { summary: 'auto' } });
    expect(sent<GenerateBody>(gemini.last()).generationConfig).toEqual({ thinkingConfig: { includeThoughts: true } });
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(r.output[0]).toEqual({ id: 'rs_gm-think', type: 'reasoning', summary: [{ type: 'summary_text', text: 'A greeting; answer in kind.' }] });
    expect(r.output_text).toBe('Hello from Gemini');
    expect(r.usage).toMatchObject({ output_tokens: 25, output_tokens_details: { reasoning_tokens: 21 } });
  });

  it('Gemini 3: the streamed summary reaches the stream helper; the thought signature goes out as encrypted_content and comes back as the functionCall\'s thoughtSignature', async () => {
    const input = [{ role: 'user' as const, content: 'Weather in Paris?' }];
    const include: OpenAI.Responses.ResponseIncludable[] = ['reasoning.encrypted_content'];
    const stream = client('gemini').responses.stream({ model: GEMINI3_MODEL, input, tools: [WEATHER], reasoning: { summary: 'auto' }, include });
    let summary = '';
    stream.on('response.reasoning_summary_text.delta', (e) => (summary += e.delta));
    const final = await stream.finalResponse();
    expect(summary).toBe('The user wants the weather: call get_weather.');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(final.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: summary }], encrypted_content: `thought_signature:${SIGNATURE}` });
    expect(final.usage).toMatchObject({ output_tokens: 92, output_tokens_details: { reasoning_tokens: 80 } });
    const call = final.output[1] as OpenAI.Responses.ResponseFunctionToolCall;

    const next = await client('gemini').responses.create({ model: GEMINI3_MODEL, input: [...input, ...final.output, { type: 'function_call_output', call_id: call.call_id, output: 'cloudy, 18°C' }], tools: [WEATHER], include } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(next.output_text).toBe('Paris: cloudy, 18°C');
    expect(sent<GenerateBody>(gemini.last()).contents[1]).toEqual({ role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE }] });

    // A client that did not ask for encrypted_content has no signature to replay: Gemini 3 says so.
    const bare = await client('gemini').responses.stream({ model: GEMINI3_MODEL, input, tools: [WEATHER] }).finalResponse();
    expect(bare.output.map((o) => o.type)).toEqual(['function_call']);
    const refused = await client('gemini')
      .responses.create({ model: GEMINI3_MODEL, input: [...input, ...bare.output, { type: 'function_call_output', call_id: (bare.output[0] as OpenAI.Responses.ResponseFunctionToolCall).call_id, output: 'cloudy' }], tools: [WEATHER] } as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((refused as Error).message)).toContain('thought_signature');
  });

  it('state the gateway does not keep: 400 unsupported_field naming the field; the chat path\'s refusals name the Responses field; nothing sent', async () => {
    const before = gemini.requests.length;
    const stateful = await client('gemini').responses.create({ model: GEMINI_MODEL, input: 'Go on', previous_response_id: 'resp_earlier' }).catch((e: unknown) => e);
    expect(stateful).toBeInstanceOf(OpenAI.BadRequestError);
    expect(stateful).toMatchObject({ status: 400, code: 'unsupported_field', param: 'previous_response_id' });
    const image = await client('gemini')
      .responses.create({ model: GEMINI_MODEL, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://example.com/cat.png', detail: 'auto' }] }] })
      .catch((e: unknown) => e);
    expect(image).toMatchObject({ status: 400, code: 'unsupported_field', param: 'input[0].content[0].image_url.url' });
    expect(gemini.requests.length).toBe(before);
  });

  it("an upstream error keeps its status and reaches the SDK as OpenAI's error", async () => {
    const err = await client('gemini').responses.create({ model: GEMINI_MODEL, input: 'rate limit me' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'RESOURCE_EXHAUSTED' });
  });
});

describe("the openai SDK's Responses API against a Bedrock backend, through Envoy", () => {
  it('responses.create: a SigV4-signed Converse request (system from instructions, inferenceConfig), a response object back, usage counted', async () => {
    const r = await client('bedrock').responses.create({ model: BEDROCK_MODEL, instructions: 'Be brief.', input: 'Hello', max_output_tokens: 100 });
    expect(r.output_text).toBe('Hello from Bedrock');
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: BEDROCK_MODEL });
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 4, total_tokens: 15 });
    const up = bedrock.last();
    expect(String(up.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /);
    expect(JSON.stringify(up.headers)).not.toContain('sk-openai-client');
    expect(sent<ConverseBody>(up)).toEqual({ system: [{ text: 'Be brief.' }], messages: [{ role: 'user', content: [{ text: 'Hello' }] }], inferenceConfig: { maxTokens: 100 } });
    const log = await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.backend === 'bedrock' && l.total_tokens === 15);
    expect(log).toMatchObject({ provider: 'bedrock', request_model: BEDROCK_MODEL, input_tokens: 11, output_tokens: 4, tokens_estimated: false });
  });

  it('responses.stream: ConverseStream text and a toolUse whose input streams in pieces as function_call_arguments.delta; the round trip sends toolUse and toolResult', async () => {
    const { input, final, text, args, types } = await weatherStream('bedrock', BEDROCK_MODEL);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check.');
    expect(text).toBe('Let me check.');
    expect(args).toEqual(['{"city": "Pa', 'ris"}']);
    const call = final.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', call_id: 'tooluse_e2eParis', status: 'completed' });
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(final.usage).toMatchObject({ input_tokens: 55, output_tokens: 20, total_tokens: 75 });
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(bedrock.last().url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse-stream`);
    expect(sent<ConverseBody>(bedrock.last()).toolConfig).toEqual({ tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather for a city', inputSchema: { json: WEATHER.parameters } } }] });
    await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.backend === 'bedrock' && l.total_tokens === 75 && l.stream_end === 'complete');

    const next = await client('bedrock').responses.create({ model: BEDROCK_MODEL, input: [...input, ...final.output, { type: 'function_call_output', call_id: 'tooluse_e2eParis', output: 'cloudy, 18°C' }], tools: [WEATHER] } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(next.output_text).toBe('Paris: cloudy, 18°C');
    expect(sent<ConverseBody>(bedrock.last()).messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_e2eParis', name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_e2eParis', content: [{ text: 'cloudy, 18°C' }] } }] },
    ]);
  });

  it('reasoning.effort: a thinking budget in additionalModelRequestFields; reasoningContent back as a reasoning item before the message, its text the summary the stream helper sees', async () => {
    const stream = client('bedrock').responses.stream({ model: BEDROCK_THINKING_MODEL, input: 'What is 17 times 23?', reasoning: { effort: 'low', summary: 'auto' } });
    let summary = '';
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    stream.on('response.reasoning_summary_text.delta', (e) => (summary += e.delta));
    const final = await stream.finalResponse();
    expect(summary).toBe('17 x 20 = 340, plus 51.');
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: summary }] });
    expect(JSON.stringify(final.output)).not.toContain('ErUBCkYI');
    expect(final.output_text).toBe('391');
    expect(types.indexOf('response.reasoning_summary_part.done')).toBeLessThan(types.indexOf('response.output_text.delta'));
    expect(sent<ConverseBody>(bedrock.last()).additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });

    const plain = await client('bedrock').responses.create({ model: BEDROCK_THINKING_MODEL, input: 'What is 17 times 23?', reasoning: { effort: 'low' } });
    expect(plain.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    // No summary was asked for: the item says there was reasoning, not what it was.
    expect(plain.output[0]).toMatchObject({ type: 'reasoning', summary: [] });
    expect(plain.output_text).toBe('391');
  });

  it('what Converse cannot do and state the gateway does not keep: 400 unsupported_field naming the Responses field, nothing sent', async () => {
    const before = bedrock.requests.length;
    const cases: [string, Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming>][] = [['store', { store: true }], ['parallel_tool_calls', { tools: [WEATHER], parallel_tool_calls: false }]];
    for (const [param, extra] of cases) {
      const err = await client('bedrock').responses.create({ model: BEDROCK_MODEL, input: 'Hi', ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'unsupported_field', param });
    }
    expect(bedrock.requests.length).toBe(before);
  });
});
