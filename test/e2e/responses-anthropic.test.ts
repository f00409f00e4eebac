// The OpenAI Responses API against Claude: the official openai SDK, unchanged, through a real
// Envoy and the processor, to a fake Anthropic Messages API that checks what it receives the
// way Anthropic does (x-api-key, anthropic-version, known fields only, alternating turns,
// tool_result blocks that answer the tool_use blocks before them). responses.create and
// responses.stream (text, a streamed function call, a round trip that sends the call and its
// output back, thinking from reasoning.effort as a reasoning summary), refused stateful fields, upstream errors and an error inside a stream.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';

const ANTHROPIC_KEY = 'sk-ant-gateway-e2e';
const MODEL = 'claude-sonnet-4-5';
const ANSWERED = 'claude-sonnet-4-5-20250929';

type Block = { type: string; text?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown; source?: unknown };
interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: { role: string; content: string | Block[] }[];
  system?: unknown;
  stream?: boolean;
  tools?: { name: string; input_schema: unknown }[];
  tool_choice?: unknown;
  [k: string]: unknown;
}

const TOP_LEVEL = new Set(['model', 'max_tokens', 'messages', 'system', 'stream', 'tools', 'tool_choice', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'metadata', 'thinking', 'service_tier', 'output_config']);

const bad = (message: string, status = 400): Reply => ({ status, json: { type: 'error', error: { type: 'invalid_request_error', message }, request_id: 'req_e2e' } });
const ev = (o: { type: string }) => `event: ${o.type}\ndata: ${JSON.stringify(o)}\n\n`;
const start = (id: string, input: number) => ev({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model: ANSWERED, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 } } } as { type: string });
const delta = (index: number, d: Record<string, unknown>) => ev({ type: 'content_block_delta', index, delta: d } as { type: string });
const blockStart = (index: number, block: Record<string, unknown>) => ev({ type: 'content_block_start', index, content_block: block } as { type: string });
const blockStop = (index: number) => ev({ type: 'content_block_stop', index } as { type: string });
const end = (reason: string, output: number) => [ev({ type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } } as { type: string }), ev({ type: 'message_stop' })];

/** Anthropic's checks, as far as a wrong translation would trip them. */
function refuse(body: MessagesBody): Reply | undefined {
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) return bad(`${k}: Extra inputs are not permitted`);
  if (typeof body.max_tokens !== 'number') return bad('max_tokens: Field required');
  let role = '';
  const toolUses = new Set<string>();
  for (const [i, m] of body.messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (m.role === role) return bad(`messages: roles must alternate between "user" and "assistant"`);
    role = m.role;
    const blocks = typeof m.content === 'string' ? [] : m.content;
    const results = blocks.filter((b) => b.type === 'tool_result');
    for (const b of blocks) if (b.type === 'tool_use') toolUses.add(b.id!);
    for (const r of results) if (!toolUses.has(r.tool_use_id!)) return bad(`messages.${i}: unexpected tool_use_id found in tool_result blocks: ${r.tool_use_id}`);
    if (blocks.some((b, j) => b.type === 'tool_result' && j >= results.length)) return bad(`messages.${i}: tool_result blocks must come first`);
  }
  return undefined;
}

function answer(body: MessagesBody): Reply {
  const last = body.messages.at(-1)!;
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  const lastText = blocks.map((b) => b.text ?? '').join('');
  if (lastText === 'rate limit me') return { status: 429, headers: { 'retry-after': '7' }, json: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } } };
  if (lastText === 'overload mid-stream') {
    return { sse: [start('msg_01Ovl', 12), blockStart(0, { type: 'text', text: '' }), delta(0, { type: 'text_delta', text: 'Once upon' }), ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } as { type: string })] };
  }
  const result = blocks.find((b) => b.type === 'tool_result');
  if (result) {
    const text = `Paris: ${String(result.content)}`;
    if (!body.stream) return { json: { id: 'msg_01Done', type: 'message', role: 'assistant', model: ANSWERED, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 90, output_tokens: 8 } } };
  }
  if (!body.stream) {
    return { json: { id: 'msg_01Hello', type: 'message', role: 'assistant', model: ANSWERED, content: [{ type: 'text', text: 'Hello from ' }, { type: 'text', text: 'Claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 14, cache_read_input_tokens: 6, output_tokens: 4 } } };
  }
  if (body.thinking) {
    return {
      sse: [
        start('msg_01Think', 9),
        blockStart(0, { type: 'thinking', thinking: '', signature: '' }),
        delta(0, { type: 'thinking_delta', thinking: 'Divisors up to 9: ' }),
        delta(0, { type: 'thinking_delta', thinking: 'none.' }),
        delta(0, { type: 'signature_delta', signature: 'EqQBCkgIBxABGAIiQE2e' }),
        blockStop(0),
        blockStart(1, { type: 'text', text: '' }),
        delta(1, { type: 'text_delta', text: '97 is prime.' }),
        blockStop(1),
        ...end('end_turn', 70),
      ],
    };
  }
  if (body.tools) {
    return {
      sse: [
        start('msg_01Tool', 50),
        blockStart(0, { type: 'text', text: '' }),
        delta(0, { type: 'text_delta', text: 'Let me ' }),
        ev({ type: 'ping' }),
        delta(0, { type: 'text_delta', text: 'check.' }),
        blockStop(0),
        blockStart(1, { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: {} }),
        delta(1, { type: 'input_json_delta', partial_json: '' }),
        delta(1, { type: 'input_json_delta', partial_json: '{"city": "Pa' }),
        delta(1, { type: 'input_json_delta', partial_json: 'ris"}' }),
        blockStop(1),
        ...end('tool_use', 11),
      ],
      delayMs: 2,
    };
  }
  return { sse: [start('msg_01Hi', 6), blockStart(0, { type: 'text', text: '' }), delta(0, { type: 'text_delta', text: 'Hi' }), delta(0, { type: 'text_delta', text: ' there' }), blockStop(0), ...end('end_turn', 2)], delayMs: 2 };
}

/** Anthropic's Messages API as far as these tests need it. */
function anthropicFake(req: Recorded): Reply {
  if (req.headers['x-api-key'] !== ANTHROPIC_KEY) return { status: 401, json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
  if (req.headers.authorization !== undefined) return bad('the OpenAI client key must not reach Anthropic');
  if (req.headers['anthropic-version'] !== '2023-06-01') return bad(`anthropic-version: ${String(req.headers['anthropic-version'])}`);
  if (req.method !== 'POST' || req.url !== '/v1/messages') return bad(`no route ${req.method} ${req.url}`, 404);
  const body = JSON.parse(req.body.toString()) as MessagesBody;
  return refuse(body) ?? answer(body);
}

let anthropic: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  anthropic = await startFakeUpstream(anthropicFake);
  gw = await startGateway({ defaultBackend: 'claude', backends: { claude: { provider: 'anthropic', endpoint: anthropic.url, authToken: { kind: 'Inline', inline: ANTHROPIC_KEY } } } });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await anthropic?.close();
});

const client = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-openai-client', maxRetries: 0 });
const sent = (r: Recorded) => JSON.parse(r.body.toString()) as MessagesBody;

const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('the openai SDK\'s Responses API against an Anthropic backend, through Envoy', () => {
  it('responses.create: a Messages request upstream (x-api-key, anthropic-version, system from instructions), a response object back, usage counted', async () => {
    const r = await client().responses.create({ model: MODEL, instructions: 'Be brief.', input: 'Hello', max_output_tokens: 100, temperature: 0.2 });
    expect(r.output_text).toBe('Hello from Claude');
    expect(r).toMatchObject({ id: 'resp_01Hello', object: 'response', status: 'completed', model: ANSWERED, store: false });
    expect(r.usage).toEqual({ input_tokens: 20, input_tokens_details: { cached_tokens: 6 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 24 });
    const up = anthropic.last();
    expect(JSON.stringify(up.headers)).not.toContain('sk-openai-client');
    expect(sent(up)).toEqual({ model: MODEL, max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }], temperature: 0.2 });
    const log = await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.total_tokens === 24);
    expect(log).toMatchObject({ provider: 'anthropic', upstream_path: '/v1/messages', request_model: MODEL, response_model: ANSWERED, input_tokens: 20, output_tokens: 4, cached_input_tokens: 6, tokens_estimated: false });
  });

  it('responses.stream: text deltas and a function call whose arguments stream from input_json_delta; finalResponse() has both; then the call and its output go back as tool_use and tool_result', async () => {
    const input = [{ role: 'user' as const, content: 'Weather in Paris?' }];
    const stream = client().responses.stream({ model: MODEL, input, tools: [WEATHER] });
    let text = '';
    let args = '';
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check.');
    expect(text).toBe('Let me check.');
    expect(args).toBe('{"city": "Paris"}');
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', call_id: 'toolu_01Paris', status: 'completed' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Paris' });
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 11, total_tokens: 61 });
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(sent(anthropic.last())).toMatchObject({
      stream: true,
      tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: WEATHER.parameters, strict: true }],
    });
    await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.total_tokens === 61 && l.stream_end === 'complete');

    // The next turn as an agent sends it: the output items unchanged, then the call's output.
    const next = await client().responses.create({ model: MODEL, input: [...input, ...final.output, { type: 'function_call_output', call_id: 'toolu_01Paris', output: 'cloudy, 18°C' }], tools: [WEATHER] } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(next.output_text).toBe('Paris: cloudy, 18°C');
    expect(sent(anthropic.last()).messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Paris', content: 'cloudy, 18°C' }] },
    ]);
  });

  it('responses.stream of plain text: finalResponse().output_text, streamed usage in the access log', async () => {
    const final = await client().responses.stream({ model: MODEL, input: 'Say hi' }).finalResponse();
    expect(final.output_text).toBe('Hi there');
    expect(final.usage).toMatchObject({ input_tokens: 6, output_tokens: 2, total_tokens: 8 });
    await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.total_tokens === 8 && l.stream_end === 'complete');
  });

  it('reasoning.effort turns thinking on with the chat path\'s budget; the thinking streams back as a reasoning item\'s summary', async () => {
    const stream = client().responses.stream({ model: MODEL, input: 'Is 97 prime?', reasoning: { effort: 'low', summary: 'auto' } });
    let summary = '';
    stream.on('response.reasoning_summary_text.delta', (e) => (summary += e.delta));
    const final = await stream.finalResponse();
    expect(summary).toBe('Divisors up to 9: none.');
    expect(final.output_text).toBe('97 is prime.');
    expect(final.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Divisors up to 9: none.' }] });
    expect(final.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(sent(anthropic.last())).toMatchObject({ max_tokens: 2048 + 4096, thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it('state the gateway does not keep (previous_response_id, store: true): 400 unsupported_field naming the field, nothing sent', async () => {
    const before = anthropic.requests.length;
    for (const [field, extra] of [['previous_response_id', { previous_response_id: 'resp_earlier' }], ['store', { store: true }]] as const) {
      const err = await client().responses.create({ model: MODEL, input: 'Go on', ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, code: 'unsupported_field', param: field });
    }
    expect(anthropic.requests.length).toBe(before);
  });

  it('an upstream error keeps its status and reaches the SDK as OpenAI\'s error', async () => {
    const err = await client().responses.create({ model: MODEL, input: 'rate limit me' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_error' });
    expect((err as Error).message).toContain('per-minute rate limit');
  });

  it('an error event inside the stream reaches the stream helper as its error; the input stays counted', async () => {
    const stream = client().responses.stream({ model: MODEL, input: 'overload mid-stream' });
    const errors: unknown[] = [];
    stream.on('error', (e) => errors.push(e));
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const got = await stream.finalResponse().catch((e: unknown) => e);
    // The event carries its error under `error` too (the Open Responses shape): the SDK raises
    // it as an APIError with the provider's code and message.
    expect(got).toBeInstanceOf(OpenAI.APIError);
    expect(got).toMatchObject({ code: 'overloaded_error', type: 'server_error' });
    expect((got as Error).message).toContain('Overloaded');
    expect(errors).toHaveLength(1);
    expect(text).toBe('Once upon');
    const log = await gw.waitForAccessLogEntry((l) => l.path === '/v1/responses' && l.input_tokens === 12);
    expect(log).toMatchObject({ tokens_estimated: true, response_model: ANSWERED });
  });
});
