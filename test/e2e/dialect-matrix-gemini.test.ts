// @google/genai, unchanged, against Claude through a real Envoy: an Anthropic backend
// (Messages API) and a Bedrock backend (Converse / ConverseStream, SigV4-signed).
// generateContent, generateContentStream, and a function call round trip with thinking,
// whose signature must come back on the next turn. The fakes check what they receive
// the way the real APIs do: the key or the signature, the path, max_tokens, roles that
// alternate, tool results that answer the tool calls before them, and the signed
// thinking block in front of the tool call it led to.
import { ApiError, GoogleGenAI, type Content } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/usage/eventstream.js';
import { verifySigV4 } from '../helpers/sigv4-reference.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const ANTHROPIC_KEY = 'sk-ant-gateway-e2e';
const BEDROCK_MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const SIGNATURE = 'EqQBCgIYAhIM1gbcDa9GJwZAe2eSignature==';
const THINKING = 'The user wants the weather; call get_weather.';

type Block = { type: string; [k: string]: unknown };
interface MessagesBody {
  model?: string;
  max_tokens?: number;
  stream?: boolean;
  system?: unknown;
  messages: { role: string; content: Block[] }[];
  tools?: { name: string }[];
  thinking?: { type: string; budget_tokens?: number };
  [k: string]: unknown;
}

const sse = (events: Record<string, unknown>[]) => events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
const invalid = (message: string): Reply => ({ status: 400, json: { type: 'error', error: { type: 'invalid_request_error', message } } });

/** What the Messages API refuses, as it refuses it. */
function messagesProblem(body: MessagesBody): string | undefined {
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (body.messages[0]?.role !== 'user') return 'messages: first message must use the "user" role';
  for (let i = 1; i < body.messages.length; i++) {
    const m = body.messages[i]!;
    const prev = body.messages[i - 1]!;
    for (const b of m.content.filter((c) => c.type === 'tool_result')) {
      if (!prev.content.some((c) => c.type === 'tool_use' && c.id === b.tool_use_id)) return `messages.${i}.content: unexpected tool_use_id found in tool_result blocks: ${String(b.tool_use_id)}`;
    }
    if (m.role === 'assistant' && body.thinking?.type === 'enabled' && m.content.some((c) => c.type === 'tool_use')) {
      const first = m.content[0]!;
      if (first.type !== 'thinking') return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.type}\``;
      if (first.signature !== SIGNATURE || first.thinking !== THINKING) return `messages.${i}.content.0: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  return undefined;
}

function anthropicFake(req: Recorded): Reply {
  if (req.method !== 'POST' || req.url !== '/v1/messages') return { status: 404, json: { type: 'error', error: { type: 'not_found_error', message: 'Not Found' } } };
  if (req.headers['x-api-key'] !== ANTHROPIC_KEY || req.headers['x-goog-api-key'] !== undefined) return { status: 401, json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
  if (!req.headers['anthropic-version']) return invalid('anthropic-version: header is required');
  const body = JSON.parse(req.body.toString()) as MessagesBody;
  const problem = messagesProblem(body);
  if (problem) return invalid(problem);
  const lastText = body.messages.at(-1)!.content.find((b) => b.type === 'text')?.text;
  if (lastText === 'overload me') return { status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
  const start = (id: string, input: number) => ({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } } });
  const toolResult = body.messages.at(-1)!.content.find((b) => b.type === 'tool_result');
  if (toolResult) {
    return { json: { id: 'msg_e2eAfterTool', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: `Paris: ${String(toolResult.content)}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 120, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 14 } } };
  }
  if (body.tools && body.stream) {
    return {
      sse: sse([
        start('msg_e2eTools', 300),
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: THINKING.slice(0, 20) } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: THINKING.slice(20) } },
        { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: SIGNATURE } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01E2eWeather', name: 'get_weather', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ty": "Par' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'is"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 60 } },
        { type: 'message_stop' },
      ]),
      delayMs: 5,
    };
  }
  if (body.stream) {
    const words = ['Packets ', 'flow ', 'like ', 'streams'];
    return {
      sse: sse([
        start('msg_e2eStream', 11),
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ...words.map((text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } },
        { type: 'message_stop' },
      ]),
      delayMs: 5,
    };
  }
  return { json: { id: 'msg_e2ePlain', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'Hello from Claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 5, output_tokens: 4 } } };
}

type CBlock = Record<string, unknown>;
interface ConverseBody {
  messages: { role: string; content: CBlock[] }[];
  system?: unknown;
  inferenceConfig?: Record<string, unknown>;
  toolConfig?: { tools: unknown[]; toolChoice?: unknown };
  additionalModelRequestFields?: { thinking?: { type: string } };
}

const frame = (event: string, body: Record<string, unknown>) => Buffer.from(encodeEvent({ ':event-type': event, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(body)));
const validation = (message: string): Reply => ({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, json: { message } });

function converseProblem(body: ConverseBody): string | undefined {
  const ms = body.messages;
  if (ms[0]?.role !== 'user') return 'A conversation must start with a user message.';
  for (let i = 1; i < ms.length; i++) {
    if (ms[i]!.role === ms[i - 1]!.role) return 'A conversation must alternate between user and assistant roles.';
    for (const b of ms[i]!.content) {
      const r = b.toolResult as { toolUseId?: string } | undefined;
      if (r && !ms[i - 1]!.content.some((c) => (c.toolUse as { toolUseId?: string } | undefined)?.toolUseId === r.toolUseId)) return `The toolResult blocks at messages.${i}.content exceed the number of toolUse blocks of previous turn.`;
    }
    if (ms[i]!.role === 'assistant' && body.additionalModelRequestFields?.thinking?.type === 'enabled' && ms[i]!.content.some((c) => c.toolUse)) {
      const r = (ms[i]!.content[0]!.reasoningContent as { reasoningText?: { text?: string; signature?: string } } | undefined)?.reasoningText;
      if (r?.signature !== SIGNATURE || r.text !== THINKING) return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`.`;
    }
  }
  const hasTools = ms.some((m) => m.content.some((c) => c.toolUse || c.toolResult));
  if (hasTools && !body.toolConfig) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  return undefined;
}

function bedrockFake(req: Recorded): Reply {
  // A real Bedrock refuses a request whose signature does not cover what arrived.
  if (!verifySigV4(req, 'us-east-1', 'bedrock')) return { status: 403, json: { message: 'The request signature we calculated does not match the signature you provided.' } };
  const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url);
  if (req.method !== 'POST' || !m || decodeURIComponent(m[1]!) !== BEDROCK_MODEL) return { status: 404, json: { message: 'Unknown operation or model' } };
  const body = JSON.parse(req.body.toString()) as ConverseBody;
  const problem = converseProblem(body);
  if (problem) return validation(problem);
  const stream = m[2] === 'converse-stream';
  const last = body.messages.at(-1)!;
  const result = last.content.find((c) => c.toolResult)?.toolResult as { content?: { text?: string }[] } | undefined;
  if (result) {
    return { json: { output: { message: { role: 'assistant', content: [{ text: `Oslo: ${result.content?.[0]?.text ?? ''}` }] } }, stopReason: 'end_turn', usage: { inputTokens: 140, outputTokens: 12, totalTokens: 152 }, metrics: { latencyMs: 300 } } };
  }
  const es = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': '0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b' };
  if (stream && body.toolConfig) {
    return {
      headers: es,
      delayMs: 5,
      chunks: [
        frame('messageStart', { role: 'assistant' }),
        frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: THINKING.slice(0, 25) } } }),
        frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: THINKING.slice(25) } } }),
        frame('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: SIGNATURE } } }),
        frame('contentBlockStop', { contentBlockIndex: 0 }),
        frame('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_e2eOslo', name: 'get_weather' } } }),
        frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city": "Os' } } }),
        frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: 'lo"}' } } }),
        frame('contentBlockStop', { contentBlockIndex: 1 }),
        frame('messageStop', { stopReason: 'tool_use' }),
        frame('metadata', { usage: { inputTokens: 310, outputTokens: 55, totalTokens: 365 }, metrics: { latencyMs: 800 } }),
      ],
    };
  }
  if (stream) {
    const words = ['Fjords ', 'are ', 'deep'];
    return {
      headers: es,
      delayMs: 5,
      chunks: [
        frame('messageStart', { role: 'assistant' }),
        ...words.map((text) => frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
        frame('contentBlockStop', { contentBlockIndex: 0 }),
        frame('messageStop', { stopReason: 'end_turn' }),
        frame('metadata', { usage: { inputTokens: 9, outputTokens: 3, totalTokens: 1012, cacheReadInputTokens: 1000 }, metrics: { latencyMs: 200 } }),
      ],
    };
  }
  return { headers: { 'x-amzn-requestid': '0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b' }, json: { output: { message: { role: 'assistant', content: [{ text: 'Hello from Bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 17, outputTokens: 4, totalTokens: 21 }, metrics: { latencyMs: 250 } } };
}

let anthropic: FakeUpstream, bedrock: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  anthropic = await startFakeUpstream(anthropicFake);
  bedrock = await startFakeUpstream(bedrockFake);
  const creds = (f: string) => ({ file: `test/fixtures/openai-bedrock/_creds/${f}` });
  gw = await startGateway({
    backends: {
      anthropic: { provider: 'anthropic', endpoint: anthropic.url, authToken: { kind: 'Inline', inline: ANTHROPIC_KEY } },
      // Bedrock ids hold ':', which a Gemini path cannot: the backend names the model.
      bedrock: { provider: 'bedrock', region: 'us-east-1', endpoint: bedrock.url, model: BEDROCK_MODEL, aws: { accessKeyId: creds('access-key-id'), secretAccessKey: creds('secret-access-key') } },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([anthropic?.close(), bedrock?.close()]);
});

const ai = (backend: string) => new GoogleGenAI({ apiKey: 'AIza-client-key', httpOptions: { baseUrl: gw.url, headers: { 'x-llm-backend': backend } } });
const json = (r: Recorded) => JSON.parse(r.body.toString()) as Record<string, unknown>;
const TOOLS = [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }];

/** Streams a turn; returns the function calls, every chunk's content (the SDK's own history shape) and the last chunk. */
async function streamTurn(client: GoogleGenAI, model: string, contents: Content[], config: Record<string, unknown>) {
  const stream = await client.models.generateContentStream({ model, contents, config });
  const calls: { id?: string; name?: string; args?: Record<string, unknown> }[] = [];
  const thoughts: string[] = [];
  const turn: Content = { role: 'model', parts: [] };
  let last: { usageMetadata?: unknown; candidates?: { finishReason?: string }[] } | undefined;
  for await (const chunk of stream) {
    for (const c of chunk.functionCalls ?? []) calls.push(c);
    for (const p of chunk.candidates?.[0]?.content?.parts ?? []) {
      if (p.thought) thoughts.push(p.text ?? '');
      turn.parts!.push(p);
    }
    last = chunk;
  }
  return { calls, thoughts, turn, last };
}

describe('@google/genai against an Anthropic backend', () => {
  it('generateContent becomes a Messages request with the gateway key and comes back as a GenerateContentResponse, usage counted', async () => {
    const res = await ai('anthropic').models.generateContent({
      model: 'claude-sonnet-4-5',
      contents: 'Say hello',
      config: { systemInstruction: 'Be brief.', temperature: 0.3, topK: 20, stopSequences: ['END'] },
    });
    expect(res.text).toBe('Hello from Claude');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 26, candidatesTokenCount: 4, totalTokenCount: 30, cachedContentTokenCount: 5 });
    expect(res.modelVersion).toBe('claude-sonnet-4-5-20250929');
    expect(res.responseId).toBe('msg_e2ePlain');
    const up = anthropic.last();
    expect(JSON.stringify(up.headers)).not.toContain('AIza-client-key');
    expect(up.headers['x-goog-api-client']).toBeUndefined();
    expect(json(up)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
      temperature: 0.3,
      top_k: 20,
      stop_sequences: ['END'],
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.total_tokens === 30);
    expect(log).toMatchObject({ provider: 'anthropic', request_model: 'claude-sonnet-4-5', response_model: 'claude-sonnet-4-5-20250929', input_tokens: 26, output_tokens: 4, cached_input_tokens: 5, tokens_estimated: false });
  });

  it('generateContentStream arrives as Gemini SSE, one chunk per text delta, usage on the last chunk', async () => {
    const stream = await ai('anthropic').models.generateContentStream({ model: 'claude-sonnet-4-5', contents: 'Write about Envoy' });
    const texts: string[] = [];
    let last: { usageMetadata?: unknown; candidates?: { finishReason?: string }[] } | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      last = chunk;
    }
    expect(texts.join('')).toBe('Packets flow like streams');
    expect(texts.filter((t) => t !== '').length).toBe(4);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 11, candidatesTokenCount: 4, totalTokenCount: 15 });
    expect(json(anthropic.last())).toMatchObject({ stream: true });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.total_tokens === 15);
    expect(log).toMatchObject({ input_tokens: 11, output_tokens: 4, tokens_estimated: false, stream_end: 'complete' });
  });

  it('a function call round trip with thinking: streamed input arrives as one functionCall, the signed thinking goes back with it', async () => {
    const config = { tools: TOOLS, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } };
    const history: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
    const first = await streamTurn(ai('anthropic'), 'claude-sonnet-4-5', history, config);
    expect(first.calls).toEqual([{ id: 'toolu_01E2eWeather', name: 'get_weather', args: { city: 'Paris' } }]);
    expect(first.thoughts.join('')).toBe(THINKING);
    expect(json(anthropic.last())).toMatchObject({ max_tokens: 5120, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [{ name: 'get_weather', input_schema: TOOLS[0]!.functionDeclarations[0]!.parametersJsonSchema }] });
    await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.total_tokens === 360);

    // Every streamed part goes back, as the SDK's chats do; the client answers by name.
    history.push(first.turn, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'cloudy, 18 C' } } }] });
    const res = await ai('anthropic').models.generateContent({ model: 'claude-sonnet-4-5', contents: history, config });
    expect(res.text).toBe('Paris: {"output":"cloudy, 18 C"}');
    const sent = json(anthropic.last()) as unknown as MessagesBody;
    expect(sent.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: THINKING, signature: SIGNATURE }, { type: 'tool_use', id: 'toolu_01E2eWeather', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01E2eWeather', content: '{"output":"cloudy, 18 C"}' }] },
    ]);
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'anthropic' && l.total_tokens === 134);
    expect(log).toMatchObject({ input_tokens: 120, output_tokens: 14 });
  });

  it('a field Claude cannot take is a 400 in Google\'s error shape and never reaches Anthropic; an upstream error keeps its status', async () => {
    const before = anthropic.requests.length;
    const err = await ai('anthropic').models.generateContent({ model: 'claude-sonnet-4-5', contents: 'hi', config: { seed: 7 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('unsupported_field: generationConfig.seed');
    expect(anthropic.requests.length).toBe(before);
    const over = await ai('anthropic').models.generateContent({ model: 'claude-sonnet-4-5', contents: 'overload me' }).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(ApiError);
    expect((over as ApiError).status).toBe(529);
    expect((over as ApiError).message).toContain('Overloaded');
  });
});

describe('@google/genai against a Bedrock backend', () => {
  it('generateContent is a SigV4-signed Converse call and comes back as a GenerateContentResponse', async () => {
    const res = await ai('bedrock').models.generateContent({ model: 'claude-sonnet', contents: 'Say hello', config: { systemInstruction: 'Be brief.', maxOutputTokens: 64, topK: 10 } });
    expect(res.text).toBe('Hello from Bedrock');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 17, candidatesTokenCount: 4, totalTokenCount: 21 });
    expect(res.modelVersion).toBe(BEDROCK_MODEL);
    const up = bedrock.last();
    expect(up.url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse`);
    expect(JSON.stringify(up.headers)).not.toContain('AIza-client-key');
    expect(json(up)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 64 },
      additionalModelRequestFields: { top_k: 10 },
    });
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 21);
    expect(log).toMatchObject({ provider: 'bedrock', request_model: BEDROCK_MODEL, input_tokens: 17, output_tokens: 4, tokens_estimated: false });
  });

  it('generateContentStream: the event stream arrives as Gemini SSE, usage with cache reads on the last chunk', async () => {
    const stream = await ai('bedrock').models.generateContentStream({ model: 'claude-sonnet', contents: 'Fjords?' });
    const texts: string[] = [];
    let last: { usageMetadata?: unknown; candidates?: { finishReason?: string }[] } | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      last = chunk;
    }
    expect(texts.filter((t) => t !== '')).toEqual(['Fjords ', 'are ', 'deep']);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 1009, candidatesTokenCount: 3, totalTokenCount: 1012, cachedContentTokenCount: 1000 });
    expect(bedrock.last().url).toBe(`/model/${encodeURIComponent(BEDROCK_MODEL)}/converse-stream`);
    const log = await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 1012);
    expect(log).toMatchObject({ input_tokens: 1009, output_tokens: 3, cached_input_tokens: 1000, stream_end: 'complete' });
  });

  it('a function call round trip with thinking on Converse: reasoning and tool input streamed, signature and toolResult sent back', async () => {
    const config = { tools: TOOLS, thinkingConfig: { thinkingBudget: 2048 } };
    const history: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Oslo?' }] }];
    const first = await streamTurn(ai('bedrock'), 'claude-sonnet', history, config);
    expect(first.calls).toEqual([{ id: 'tooluse_e2eOslo', name: 'get_weather', args: { city: 'Oslo' } }]);
    // Without includeThoughts no thought part is shown; the thinking still travels in the call's thoughtSignature.
    expect(first.thoughts).toEqual([]);
    expect(json(bedrock.last())).toMatchObject({ inferenceConfig: { maxTokens: 6144 }, additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } } });
    await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 365);

    history.push(first.turn, { role: 'user', parts: [{ functionResponse: { id: 'tooluse_e2eOslo', name: 'get_weather', response: { output: 'snow' } } }] });
    const res = await ai('bedrock').models.generateContent({ model: 'claude-sonnet', contents: history, config });
    expect(res.text).toBe('Oslo: {"output":"snow"}');
    const sent = json(bedrock.last()) as unknown as ConverseBody;
    expect(sent.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Oslo?' }] },
      { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: THINKING, signature: SIGNATURE } } }, { toolUse: { toolUseId: 'tooluse_e2eOslo', name: 'get_weather', input: { city: 'Oslo' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_e2eOslo', content: [{ text: '{"output":"snow"}' }] } }] },
    ]);
    await gw.waitForAccessLogEntry((l) => l.backend === 'bedrock' && l.total_tokens === 152);
  });

  it('a file URI Converse cannot fetch is a 400 naming the part, and never reaches Bedrock', async () => {
    const before = bedrock.requests.length;
    const err = await ai('bedrock')
      .models.generateContent({ model: 'claude-sonnet', contents: [{ role: 'user', parts: [{ text: 'Describe' }, { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/a.png' } }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('unsupported_field: contents[0].parts[1].fileData');
    expect(bedrock.requests.length).toBe(before);
  });
});
