// The OpenAI Responses API end to end: the official openai SDK, unchanged, through a real
// Envoy and the processor, to fake OpenAI and Azure OpenAI upstreams that check the path, the
// credential and the body they receive and answer with the golden fixtures' realistic streams.
// Create (plain and streamed, with the SDK's stream helper), retrieve and delete by id; the
// usage log, Envoy's access log and the metrics carry the tokens (and 0 for stored-response
// calls); a client that hangs up mid-stream is still counted.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../src/usage/estimate.js';
import { type FakeUpstream, type Gateway, type Recorded, type Reply, startFakeUpstream, startGateway } from './harness.js';
import { captureLogs, type Line, sampleValue, scrape } from './observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'openai-openai');
/** A fixture stream as the upstream writes it: one write per event. */
const events = (name: string) => readFileSync(join(FIXTURES, name, 'upstream.sse'), 'utf8').split(/(?<=\n\n)/).filter(Boolean);
const TOOL_STREAM = events('responses-stream-tool-call');
const CUT_STREAM = events('responses-stream-cut-estimated');
const STORED_ID = 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c95c6b3c';

const usage = (input: number, output: number, cached = 0) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: cached },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: input + output,
});

function response(id: string, model: string, text: string, u = usage(21, 9, 4)) {
  return {
    id,
    object: 'response',
    created_at: 1741476542,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    model,
    output: [{ id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    parallel_tool_calls: true,
    previous_response_id: null,
    store: true,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    usage: u,
    metadata: {},
  };
}

const error = (status: number, message: string): Reply => ({ status, json: { error: { message, type: 'invalid_request_error', param: null, code: null } } });

/** What the fake saw that it should not have: a test fails on any of these. */
const complaints: string[] = [];

/** OpenAI: Bearer key, /v1/responses paths, bodies as the client sent them (model pins aside). */
function openaiFake(req: Recorded): Reply {
  if (req.headers.authorization !== 'Bearer sk-gateway') return error(401, `wrong credential ${String(req.headers.authorization)}`);
  if (req.headers['x-llm-backend'] === undefined) complaints.push('no x-llm-backend header');
  const sub = /^\/v1\/responses\/([^/?]+)\/(cancel|input_items)(?:\?.*)?$/.exec(req.url);
  if (sub?.[2] === 'cancel' && req.method === 'POST') return req.body.length ? error(400, 'a cancel with a body') : { json: { ...response(sub[1]!, 'gpt-4.1-mini-2025-04-14', ''), status: 'cancelled', output: [], usage: null } };
  if (sub?.[2] === 'input_items' && req.method === 'GET') return { json: { object: 'list', data: [{ id: 'msg_in_1', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'hello there' }] }], first_id: 'msg_in_1', last_id: 'msg_in_1', has_more: false } };
  const id = /^\/v1\/responses\/([^/?]+)$/.exec(req.url)?.[1];
  if (id && req.method === 'GET') return req.body.length ? error(400, 'a GET with a body') : { json: response(id, 'gpt-4.1-mini-2025-04-14', 'stored answer', usage(36, 87)) };
  if (id && req.method === 'DELETE') return { json: { id, object: 'response', deleted: true } };
  if (req.method !== 'POST' || req.url !== '/v1/responses') return error(404, `no route ${req.method} ${req.url}`);
  const body = JSON.parse(req.body.toString()) as { model?: string; input?: unknown; stream?: boolean; instructions?: string };
  if (body.model !== 'gpt-4.1-mini') complaints.push(`model ${body.model}`);
  if (body.stream) return { sse: TOOL_STREAM, delayMs: 2, endDelayMs: 25 };
  return { json: response('resp_plain_1', 'gpt-4.1-mini-2025-04-14', `you said: ${String(body.input)}`) };
}

/** Azure's v1 API: api-key, /openai/v1/responses…, the deployment as the body's model, no dated api-version. */
function azureFake(req: Recorded): Reply {
  if (req.headers['api-key'] !== 'azure-gateway-key' || req.headers.authorization !== undefined) return error(401, 'wrong credential');
  const [path, query] = req.url.split('?');
  if (query?.includes('api-version=20')) complaints.push(`dated api-version on the v1 API: ${req.url}`);
  const id = /^\/openai\/v1\/responses\/([^/]+)$/.exec(path!)?.[1];
  if (id && req.method === 'GET') return { json: response(id, 'gpt-4.1-mini', 'stored on Azure', usage(12, 7)) };
  if (req.method !== 'POST' || path !== '/openai/v1/responses') return error(404, `no route ${req.method} ${req.url}`);
  const body = JSON.parse(req.body.toString()) as { model?: string; stream?: boolean };
  if (body.model !== 'gpt-4.1-mini-prod') return error(404, `The API deployment for this resource does not exist: ${body.model}`);
  if (body.stream) return { sse: TOOL_STREAM, delayMs: 2 };
  return { json: response('resp_azure_1', 'gpt-4.1-mini', 'Hello from Azure', usage(12, 7)) };
}

let openai: FakeUpstream;
let stall: FakeUpstream;
let azure: FakeUpstream;
let gw: Gateway;
const logs = captureLogs();
const client = (backend: string, baseURL = `${gw.url}/v1`) => new OpenAI({ baseURL, apiKey: 'sk-client', defaultHeaders: { 'x-llm-backend': backend }, maxRetries: 0 });

beforeAll(async () => {
  openai = await startFakeUpstream(openaiFake);
  stall = await startFakeUpstream(() => ({ sse: CUT_STREAM, delayMs: 2, stallAfter: { events: CUT_STREAM.length, ms: 4000 } }));
  azure = await startFakeUpstream(azureFake);
  const key = { kind: 'Inline', inline: 'sk-gateway' };
  gw = await startGateway({
    backends: {
      'resp-plain': { provider: 'openai', endpoint: openai.url, authToken: key },
      'resp-stream': { provider: 'openai', endpoint: openai.url, authToken: key },
      'resp-stored': { provider: 'openai', endpoint: openai.url, authToken: key },
      'resp-abort': { provider: 'openai', endpoint: stall.url, authToken: key },
      'resp-hangup': { provider: 'openai', endpoint: openai.url, authToken: key },
      'resp-azure': { provider: 'azureopenai', endpoint: azure.url, deployment: 'gpt-4.1-mini-prod', apiVersion: '2024-10-21', authToken: { kind: 'Inline', inline: 'azure-gateway-key' } },
      // Gemini has no Responses translator (Anthropic has one: responses-anthropic.test.ts).
      'resp-gemini': { provider: 'gemini', endpoint: openai.url, authToken: key },
    },
  });
}, 60_000);

afterAll(async () => {
  logs.stop();
  await gw?.stop();
  await Promise.all([openai, stall, azure].map((f) => f?.close()));
  expect(complaints).toEqual([]);
});

async function usageLines(backend: string, n = 1, timeoutMs = 5000): Promise<Line[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = logs.usage((l) => l.backend === backend);
    if (lines.length >= n) return lines;
    if (Date.now() > until) throw new Error(`${lines.length} usage lines for ${backend}, wanted ${n}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('OpenAI Responses API with the official SDK, through Envoy', () => {
  it('responses.create: the answer as the upstream gave it, the gateway key upstream, usage in the usage log, access log and metrics', async () => {
    const before = openai.requests.length;
    const r = await client('resp-plain').responses.create({ model: 'gpt-4.1-mini', input: 'hello there' });
    expect(r.output_text).toBe('you said: hello there');
    expect(r.usage).toMatchObject({ input_tokens: 21, output_tokens: 9, total_tokens: 30 });
    expect(openai.requests.length).toBe(before + 1);
    expect(JSON.parse(openai.last().body.toString())).toEqual({ model: 'gpt-4.1-mini', input: 'hello there' });
    const [line] = await usageLines('resp-plain');
    expect(line).toMatchObject({ path: '/v1/responses', operation: 'chat', requestModel: 'gpt-4.1-mini', responseModel: 'gpt-4.1-mini-2025-04-14', inputTokens: 21, outputTokens: 9, totalTokens: 30, cachedInputTokens: 4, tokensEstimated: false, streamEnd: 'complete', status: 200 });
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'resp-plain');
    expect(entry).toMatchObject({ path: '/v1/responses', upstream_path: '/v1/responses', input_tokens: 21, output_tokens: 9, total_tokens: 30, cached_input_tokens: 4, tokens_estimated: false, response_code: 200 });
    const m = await scrape(gw.adminUrl);
    const labels = { backend: 'resp-plain', gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4.1-mini', gen_ai_response_model: 'gpt-4.1-mini-2025-04-14', error_type: '' };
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'input' })).toBe(21);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { ...labels, gen_ai_token_type: 'output' })).toBe(9);
  });

  it('responses.stream: the SDK helper accumulates every event into finalResponse(), text and streamed tool arguments included; usage from response.completed', async () => {
    let deltas = '';
    let args = '';
    const stream = client('resp-stream').responses.stream({ model: 'gpt-4.1-mini', input: 'What is the weather in Paris?', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }] });
    stream.on('response.output_text.delta', (e) => (deltas += e.delta));
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check the weather.');
    expect(deltas).toBe('Let me check the weather.');
    expect(args).toBe('{"city":"Paris"}');
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: 'call_t4BqZxT5rkJ5m2wq' });
    expect(final.usage).toMatchObject({ input_tokens: 291, output_tokens: 23, total_tokens: 314 });
    expect(JSON.parse(openai.last().body.toString())).toMatchObject({ model: 'gpt-4.1-mini', stream: true });
    const [line] = await usageLines('resp-stream');
    expect(line).toMatchObject({ stream: true, inputTokens: 291, outputTokens: 23, totalTokens: 314, cachedInputTokens: 128, tokensEstimated: false, streamEnd: 'complete', responseModel: 'gpt-4.1-mini-2025-04-14' });
    const entry = await gw.waitForAccessLogEntry((l) => l.backend === 'resp-stream');
    expect(entry).toMatchObject({ total_tokens: 314, stream_end: 'complete', tokens_estimated: false });
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'gen_ai_server_time_to_first_token_seconds_count', { backend: 'resp-stream' })).toBe(1);
  });

  it('retrieve, delete, cancel and input_items by id: forwarded with the gateway key, no body; recorded with 0 tokens, never estimated, and no GenAI token metrics', async () => {
    const c = client('resp-stored');
    const got = await c.responses.retrieve(STORED_ID);
    expect(got.id).toBe(STORED_ID);
    expect(got.output_text).toBe('stored answer');
    expect(openai.last()).toMatchObject({ method: 'GET', url: `/v1/responses/${STORED_ID}` });
    const deleted = await c.responses.delete(STORED_ID);
    // Typed void by the SDK, which still hands over the body it got.
    expect(deleted as unknown).toEqual({ id: STORED_ID, object: 'response', deleted: true });
    expect(openai.last()).toMatchObject({ method: 'DELETE', url: `/v1/responses/${STORED_ID}` });
    const cancelled = await c.responses.cancel(STORED_ID);
    expect(cancelled.status).toBe('cancelled');
    expect(openai.last()).toMatchObject({ method: 'POST', url: `/v1/responses/${STORED_ID}/cancel` });
    const items = [];
    for await (const item of c.responses.inputItems.list(STORED_ID, { limit: 5 })) items.push(item);
    expect(items).toMatchObject([{ id: 'msg_in_1', type: 'message', role: 'user' }]);
    expect(openai.last()).toMatchObject({ method: 'GET', url: `/v1/responses/${STORED_ID}/input_items?limit=5` });
    const lines = await usageLines('resp-stored', 4);
    expect(lines.map((l) => l.path)).toEqual([`/v1/responses/${STORED_ID}`, `/v1/responses/${STORED_ID}`, `/v1/responses/${STORED_ID}/cancel`, `/v1/responses/${STORED_ID}/input_items`]);
    for (const l of lines) expect(l).toMatchObject({ inputTokens: 0, outputTokens: 0, totalTokens: 0, tokensEstimated: false, status: 200 });
    for (const l of lines) expect(l.operation).toBeUndefined();
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'llm_extproc_requests_total', { backend: 'resp-stored', route_type: 'completions', status: '200' })).toBe(4);
    expect(sampleValue(m, 'gen_ai_client_token_usage_count', { backend: 'resp-stored', gen_ai_token_type: 'input' })).toBe(0);
  });

  it('a backend without a Responses translator: 404 unsupported_endpoint in OpenAI error shape, nothing sent upstream', async () => {
    // Gemini serves Responses create (responses-matrix.test.ts); compact has no translator there.
    const before = openai.requests.length;
    const err = await client('resp-gemini')
      .responses.compact({ model: 'gemini-2.5-flash', input: 'hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('unsupported_endpoint');
    expect(openai.requests.length).toBe(before);
  });

  it('a malformed create body: 400 invalid_request naming the JSON path, nothing sent upstream', async () => {
    const before = openai.requests.length;
    const err = await client('resp-plain')
      .responses.create({ model: 'gpt-4.1-mini', input: [{ role: 'user', content: [{ type: 'input_text', text: 42 as never }] }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_request');
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('input[0].content[0].text');
    expect(openai.requests.length).toBe(before);
  });
});

describe('Azure OpenAI serves the Responses API through its v1 API', () => {
  it('the openai SDK on a v1 base URL: create and stream reach /openai/v1/responses with api-key and the deployment as the model', async () => {
    const c = client('resp-azure', `${gw.url}/openai/v1`);
    const r = await c.responses.create({ model: 'gpt-4.1-mini', input: 'hi' });
    expect(r.output_text).toBe('Hello from Azure');
    expect(azure.last().url).toBe('/openai/v1/responses');
    const final = await c.responses.stream({ model: 'gpt-4.1-mini', input: 'weather?' }).finalResponse();
    expect(final.output_text).toBe('Let me check the weather.');
    const lines = await usageLines('resp-azure', 2);
    expect(lines[0]).toMatchObject({ provider: 'azureopenai', requestModel: 'gpt-4.1-mini-prod', inputTokens: 12, outputTokens: 7, totalTokens: 19, tokensEstimated: false });
    expect(lines[1]).toMatchObject({ provider: 'azureopenai', stream: true, inputTokens: 291, outputTokens: 23, streamEnd: 'complete' });
  });

  it("the AzureOpenAI client (its /openai/responses?api-version=<date> paths) is served too: retrieve without the dated version, 0 tokens", async () => {
    const c = new AzureOpenAI({ endpoint: gw.url, apiKey: 'client-azure-key', apiVersion: '2025-04-01-preview', defaultHeaders: { 'x-llm-backend': 'resp-azure' }, maxRetries: 0 });
    const got = await c.responses.retrieve('resp_az_42');
    expect(got.output_text).toBe('stored on Azure');
    expect(azure.last()).toMatchObject({ method: 'GET', url: '/openai/v1/responses/resp_az_42' });
    const lines = await usageLines('resp-azure', 3);
    expect(lines[2]).toMatchObject({ path: '/openai/responses/resp_az_42', inputTokens: 0, outputTokens: 0, tokensEstimated: false });
  });
});

/** A raw HTTP/1.1 client that hangs up once `stop` says so, without reading on. */
function rawStream(path: string, body: unknown, headers: Record<string, string>, stop: (received: string) => boolean): Promise<string> {
  const { hostname, port } = new URL(gw.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const head = [`POST ${path} HTTP/1.1`, `host: ${hostname}:${port}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(payload)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.on('connect', () => socket.write(`${head.join('\r\n')}\r\n\r\n${payload}`));
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      if (stop(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the gateway closed the connection first; got: ${received.slice(0, 300)}`)));
  });
}

describe('a client that hangs up right after response.completed', () => {
  it('is counted exactly, in Envoy\'s access log too: the counts go out with the terminal event, before the upstream body ends 25 ms later', async () => {
    const n = 10;
    const body = { model: 'gpt-4.1-mini', stream: true, input: 'What is the weather in Paris?' };
    for (let i = 0; i < n; i++) {
      const got = await rawStream('/v1/responses', body, { 'x-llm-backend': 'resp-hangup' }, (t) => t.includes('"total_tokens":314}'));
      expect(got).toContain('event: response.completed');
    }
    const entries = await gw.waitForAccessLogEntry(() => gw.accessLog().filter((l) => l.backend === 'resp-hangup').length >= n, 15_000).then(() => gw.accessLog().filter((l) => l.backend === 'resp-hangup'));
    expect(entries).toHaveLength(n);
    for (const e of entries) expect(e).toMatchObject({ input_tokens: 291, output_tokens: 23, total_tokens: 314, cached_input_tokens: 128, tokens_estimated: false, stream_end: 'complete', response_model: 'gpt-4.1-mini-2025-04-14' });
    const lines = await usageLines('resp-hangup', n);
    for (const l of lines) expect(l).toMatchObject({ totalTokens: 314, streamEnd: 'complete', tokensEstimated: false });
  });
});

describe('a client that hangs up mid-stream', () => {
  it('is counted from what was delivered, as chat streams are: input from the request, output estimated, client_cancelled', async () => {
    const prompt = 'Say a pangram, slowly.';
    const got = await rawStream('/v1/responses', { model: 'gpt-4.1-mini', stream: true, input: prompt }, { 'x-llm-backend': 'resp-abort' }, (t) => (t.match(/^data: /gm) ?? []).length >= CUT_STREAM.length);
    expect(got).toContain('"delta":"jumps over "');
    const [line] = await usageLines('resp-abort');
    const input = countTokens(prompt, 'gpt-4.1-mini');
    const output = countTokens('The quick brown fox jumps over ', 'gpt-4.1-mini');
    expect(line).toMatchObject({ streamEnd: 'client_cancelled', errorType: 'client_cancelled', tokensEstimated: true, inputTokens: input, outputTokens: output, totalTokens: input + output, responseModel: 'gpt-4.1-mini-2025-04-14' });
    const m = await scrape(gw.adminUrl);
    expect(sampleValue(m, 'gen_ai_client_token_usage_sum', { backend: 'resp-abort', gen_ai_token_type: 'output' })).toBe(output);
    expect(sampleValue(m, 'llm_extproc_stream_end_total', { backend: 'resp-abort', stream_end: 'client_cancelled' })).toBe(1);
  });
});
