// Bedrock translators through the real processor: request mapping rules that the
// golden fixtures do not show, and stream endings that must never pass silently.
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../src/usage/eventstream.js';
import { config, drive, type DriveRequest } from '../../helpers/drive.js';

const CREDS = 'test/fixtures/openai-bedrock/_creds/';
const cfg = config({
  defaultBackend: 'b',
  backends: {
    b: {
      provider: 'bedrock',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      aws: { accessKeyId: { file: `${CREDS}access-key-id` }, secretAccessKey: { file: `${CREDS}secret-access-key` } },
    },
  },
});
const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

async function upstreamBody(body: Record<string, unknown>, path = '/v1/chat/completions'): Promise<Record<string, unknown>> {
  const res = await drive(cfg, { path, body: { model: MODEL, ...body } });
  expect(res.immediate, JSON.stringify(res.immediate?.body)).toBeUndefined();
  return JSON.parse(res.upstream!.body!.toString()) as Record<string, unknown>;
}

async function rejected(body: Record<string, unknown>, path = '/v1/chat/completions') {
  const res = await drive(cfg, { path, body: { model: MODEL, ...body } });
  expect(res.immediate, 'expected a 400').toBeDefined();
  return res.immediate!;
}

const event = (type: string, body: unknown) => encodeEvent({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(body));
const STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'rid-1' };

async function stream(req: DriveRequest, frames: Uint8Array[], cutTail = 0) {
  let bytes = Buffer.concat(frames);
  if (cutTail) bytes = bytes.subarray(0, bytes.length - cutTail);
  const res = await drive(cfg, req, () => ({ status: 200, headers: STREAM_HEADERS, chunks: [bytes.subarray(0, 5), bytes.subarray(5)] }));
  expect(res.immediate, JSON.stringify(res.immediate?.body)).toBeUndefined();
  return res.client!.body.toString();
}

const sseData = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));

describe('OpenAI chat -> Converse request', () => {
  it('reasoning_effort on Claude: a thinking budget, none in a tool loop, refused beside response_format', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(await upstreamBody({ messages, reasoning_effort: 'low', max_tokens: 5000 })).toMatchObject({ inferenceConfig: { maxTokens: 5000 }, additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } } });
    expect((await upstreamBody({ messages, reasoning_effort: 'none' })).additionalModelRequestFields).toBeUndefined();
    const loop = [
      ...messages,
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'done' },
    ];
    const inLoop = await upstreamBody({ messages: loop, reasoning_effort: 'high', tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(inLoop.additionalModelRequestFields).toBeUndefined();
    expect(inLoop.inferenceConfig).toBeUndefined();
    const res = await rejected({ messages, reasoning_effort: 'medium', response_format: { type: 'json_object' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('"param":"reasoning_effort"');
  });

  it.each([
    [{ n: 2 }, 'n'],
    [{ seed: 7 }, 'seed'],
    [{ logprobs: true }, 'logprobs'],
    [{ parallel_tool_calls: false, tools: [{ type: 'function', function: { name: 'f' } }] }, 'parallel_tool_calls'],
    [{ messages: [{ role: 'user', name: 'bob', content: 'hi' }] }, 'messages[0].name'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAAA' } }] }] }, 'messages[0].content[0].image_url.url'],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, 'messages[0].content[0]'],
  ])('rejects %j naming %s', async (body, param) => {
    const r = await rejected({ messages: [{ role: 'user', content: 'hi' }], ...body });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'unsupported_field', param } });
  });

  it('harmless defaults of unsupported fields pass', async () => {
    const up = await upstreamBody({ n: 1, logprobs: false, presence_penalty: 0, store: false, messages: [{ role: 'user', content: 'hi' }] });
    expect(up).toEqual({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
  });

  it('tool_choice none leaves the tools out, unless the conversation already holds tool calls', async () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const up = await upstreamBody({ tools, tool_choice: 'none', messages: [{ role: 'user', content: 'hi' }] });
    expect(up.toolConfig).toBeUndefined();
    const r = await rejected({
      tools,
      tool_choice: 'none',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'ok' },
      ],
    });
    expect(r.body).toMatchObject({ error: { param: 'tool_choice' } });
  });

  it('tool call arguments that are not JSON are a 400 naming them', async () => {
    const r = await rejected({ messages: [{ role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] });
    expect(r.body).toMatchObject({ error: { code: 'invalid_json', param: 'messages[0].tool_calls[0].function.arguments' } });
  });

  it('json_object uses a forced tool with an open object schema; with tools it is a 400', async () => {
    const up = await upstreamBody({ response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'json please' }] });
    expect(up.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: 'json_response', inputSchema: { json: { type: 'object' } } } }], toolChoice: { tool: { name: 'json_response' } } });
    const r = await rejected({ response_format: { type: 'json_object' }, tools: [{ type: 'function', function: { name: 'f' } }], messages: [{ role: 'user', content: 'x' }] });
    expect(r.body).toMatchObject({ error: { param: 'response_format' } });
  });

  it('a model id with an ARN is one encoded path segment', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0';
    const res = await drive(cfg, { path: '/v1/chat/completions', body: { model: arn, messages: [{ role: 'user', content: 'hi' }] } });
    expect(res.upstream!.headers[':path']).toBe(`/model/${encodeURIComponent(arn)}/converse`);
    expect(res.upstream!.headers[':path']).toContain('%2F');
  });

  it('completions and models are not served', async () => {
    const res = await drive(cfg, { path: '/v1/completions', body: { model: MODEL, prompt: 'hi' } });
    expect(res.immediate?.status).toBe(404);
  });
});

describe('Anthropic -> Converse request', () => {
  const base = { max_tokens: 100 };
  it('maps thinking, documents, images and thinking history', async () => {
    const res = await drive(cfg, {
      path: '/v1/messages',
      body: {
        model: MODEL,
        ...base,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'Q3 report.pdf' },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain' } },
              { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' }, cache_control: { type: 'ephemeral' } },
            ],
          },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'ok' }] },
        ],
      },
    });
    const up = JSON.parse(res.upstream!.body!.toString());
    expect(up.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(up.messages[0].content).toEqual([
      { document: { format: 'pdf', name: 'Q3 report pdf', source: { bytes: 'JVBERi0=' } } },
      { document: { format: 'txt', name: 'messages[0] content[1]', source: { bytes: Buffer.from('plain').toString('base64') } } },
      { image: { format: 'webp', source: { bytes: 'UklGRg==' } } },
      { cachePoint: { type: 'default' } },
    ]);
    expect(up.messages[1].content[0]).toEqual({ reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } });
  });

  it.each([
    ['an image URL', { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] }],
    ['a server tool', { tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'x' }] }],
    ['disable_parallel_tool_use', { tool_choice: { type: 'auto', disable_parallel_tool_use: true }, tools: [{ name: 'f', input_schema: {} }], messages: [{ role: 'user', content: 'x' }] }],
    ['output_format', { output_format: { type: 'json_schema', schema: {} }, messages: [{ role: 'user', content: 'x' }] }],
  ])('rejects %s with a 400 in Anthropic\'s shape', async (_name, body) => {
    const res = await drive(cfg, { path: '/v1/messages', body: { model: MODEL, ...base, ...body } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('unsupported_field') } });
  });
});

describe('streams that end badly are never silent', () => {
  const req = { path: '/v1/chat/completions', body: { model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] } };
  it('OpenAI: a stream without messageStop ends with an error event and [DONE]', async () => {
    const out = sseData(await stream(req, [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } })]));
    expect(out.at(-2)).toMatchObject({ error: { code: 'internalServerException', message: expect.stringContaining('before its messageStop') } });
    expect(out.at(-1)).toBe('[DONE]');
  });

  it('OpenAI: a stream cut mid-frame says so', async () => {
    const out = sseData(await stream(req, [event('messageStart', { role: 'assistant' }), event('messageStop', { stopReason: 'end_turn' })], 4));
    expect(out.at(-2)).toMatchObject({ error: { message: expect.stringContaining('in the middle of an event') } });
  });

  it('OpenAI: the JSON tool trick streams the tool input as content', async () => {
    const out = sseData(
      await stream({ ...req, body: { ...req.body, response_format: { type: 'json_object' } } }, [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: 'json_response' } } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":' } } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '1}' } } }),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        event('messageStop', { stopReason: 'tool_use' }),
        event('metadata', { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
      ]),
    );
    const contents = out.flatMap((c) => (c === '[DONE]' ? [] : c.choices.map((ch: { delta: { content?: string } }) => ch.delta.content ?? '')));
    expect(contents.join('')).toBe('{"a":1}');
    expect(out.at(-2).choices[0].finish_reason).toBe('stop');
  });

  it('Anthropic: reasoning deltas become a thinking block; an exception frame an error event', async () => {
    const text = await stream({ path: '/v1/messages', body: { model: MODEL, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] } }, [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking...' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'c2ln' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Hi' } }),
      encodeEvent({ ':exception-type': 'modelStreamErrorException', ':content-type': 'application/json', ':message-type': 'exception' }, '{"message":"model failed"}'),
    ]);
    const events = text.split('\n\n').filter(Boolean).map((e) => e.split('\n')[0]!.slice('event: '.length));
    expect(events).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'error']);
    expect(text).toContain('"type":"thinking_delta","thinking":"thinking..."');
    expect(text).toContain('"type":"signature_delta","signature":"c2ln"');
    expect(text).toContain('modelStreamErrorException: model failed');
  });
});

describe('Anthropic stream: redacted reasoning', () => {
  const req = { path: '/v1/messages', body: { model: MODEL, max_tokens: 4096, stream: true, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'hi' }] } };
  const events = (text: string) => text.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as Record<string, unknown>);
  it('redactedContent in several deltas is one redacted_thinking block holding all of it, started when Converse stops the block', async () => {
    const out = events(
      await stream(req, [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'AAAA' } } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'BBBB' } } }),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'ok' } }),
        event('messageStop', { stopReason: 'end_turn' }),
        event('metadata', { usage: { inputTokens: 3, outputTokens: 9, totalTokens: 12 } }),
      ]),
    );
    expect(out.slice(1, 4)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'AAAABBBB' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
    ]);
  });
});

describe('responses', () => {
  it('a 200 that is not JSON is a 502 upstream_response_invalid', async () => {
    const res = await drive(cfg, { path: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: 'hi' }] } }, () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      chunks: [Buffer.from('<html>')],
    }));
    expect(res.immediate?.status).toBe(502);
    expect(JSON.stringify(res.immediate?.body)).toContain('upstream_response_invalid');
  });

  it('embeddings in base64 decode to the same float32 values', async () => {
    const res = await drive(cfg, { path: '/v1/embeddings', body: { model: 'amazon.titan-embed-text-v2:0', input: 'hi', encoding_format: 'base64' } }, () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      chunks: [Buffer.from(JSON.stringify({ embedding: [0.5, -1.25, 3], inputTextTokenCount: 2 }))],
    }));
    const body = JSON.parse(res.client!.body.toString());
    const buf = Buffer.from(body.data[0].embedding, 'base64');
    expect([...new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4)]).toEqual([0.5, -1.25, 3]);
    expect(res.metadata).toMatchObject({ input_tokens: 2, total_tokens: 2 });
  });

  it('embeddings with a non-Titan model are a 400 naming model', async () => {
    const res = await drive(cfg, { path: '/v1/embeddings', body: { model: 'cohere.embed-english-v3', input: 'hi' } });
    expect(res.immediate?.body).toMatchObject({ error: { code: 'unsupported_field', param: 'model' } });
  });
});

describe('bedrock config', () => {
  it('requires a region and takes no static key', () => {
    expect(() => config({ backends: { x: { provider: 'bedrock' } } })).toThrow(/backends\.x\.region/);
    expect(() => config({ backends: { x: { provider: 'bedrock', region: 'us-east-1', authToken: { kind: 'Inline', inline: 'k' } } } })).toThrow(/does not take a key/);
  });

  it('defaults to the regional endpoint and the AWS default credential chain', async () => {
    const c = config({ defaultBackend: 'x', backends: { x: { provider: 'bedrock', region: 'ap-northeast-1' } } });
    expect(c.backends.get('x')!.authority).toBe('bedrock-runtime.ap-northeast-1.amazonaws.com');
    // Every link of the chain finds nothing: no variables, no profile files, no instance metadata.
    const isolated = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined, AWS_WEB_IDENTITY_TOKEN_FILE: undefined, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials', AWS_CONFIG_FILE: '/nonexistent/aws/config', AWS_EC2_METADATA_DISABLED: 'true' };
    const saved = Object.fromEntries(Object.keys(isolated).map((k) => [k, process.env[k]]));
    const set = (vars: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    };
    set(isolated);
    try {
      const res = await drive(c, { path: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: 'hi' }] } });
      expect(res.immediate?.status).toBe(503);
      expect(JSON.stringify(res.immediate?.body)).toContain('credential_unavailable');
      expect(JSON.stringify(res.immediate?.body)).toContain('AWS default credential chain');
    } finally {
      set(saved);
    }
  });
});
