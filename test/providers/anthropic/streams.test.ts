// Stream readers and stream translators of the Anthropic provider, fed the same
// bytes split at every boundary and at random cut points: the output must not
// depend on where Envoy happened to cut the body.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAt } from '../../helpers/drive.js';
import { GatewayError } from '../../../src/errors.js';
import { AnthropicEventReader, type AnthropicEvent } from '../../../src/providers/anthropic/events.js';
import { AnthropicToOpenAIResponse } from '../../../src/providers/anthropic/to-openai-response.js';
import { OpenAIToAnthropicStream } from '../../../src/providers/openai/from-anthropic-stream.js';

const ANTHROPIC_STREAM = Buffer.from(
  [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    ': a comment line the server may send\n\n',
    'event: ping\r\ndata: {"type": "ping"}\r\n\r\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo 👋 世界"}}\n\n',
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\": \\"ü"}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"}"}}\n\n',
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":20}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join(''),
);

const OPENAI_STREAM = Buffer.from(
  [
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":"héllo 👋"},"finish_reason":null}]}\n\n',
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\\"a\\":"}}]},"finish_reason":null}]}\r\n\r\n',
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":" \\"世界\\"}"}}]},"finish_reason":null}]}\n\n',
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n',
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":2}}}\n\n',
    'data: [DONE]\n\n',
  ].join(''),
);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : String(err);
  }
  return undefined;
}


function readAll(chunks: Buffer[]): AnthropicEvent[] {
  const r = new AnthropicEventReader();
  return chunks.flatMap((c, i) => r.push(c, i === chunks.length - 1).map((e) => e.event));
}

function toOpenAI(chunks: Buffer[]): { out: string; usage: unknown; model: string | undefined } {
  const t = new AnthropicToOpenAIResponse({ includeUsage: true });
  t.responseHeaders(200, new Map([['content-type', 'text/event-stream'], ['date', 'Tue, 15 Oct 2024 10:00:00 GMT']]));
  const out = chunks.map((c, i) => t.responseChunk(c, i === chunks.length - 1).toString()).join('');
  return { out, usage: t.usage(), model: t.responseModel() };
}

function toAnthropic(chunks: Buffer[]): string {
  const s = new OpenAIToAnthropicStream();
  return chunks.map((c, i) => s.push(c, i === chunks.length - 1)).join('');
}

describe('AnthropicEventReader', () => {
  it('reads typed events, skipping comments, with CRLF framing', () => {
    const events = readAll([ANTHROPIC_STREAM]);
    expect(events.map((e) => e.type)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
  });

  it('gives the same events for the bytes split at every boundary', () => {
    const whole = readAll([ANTHROPIC_STREAM]);
    for (let i = 0; i <= ANTHROPIC_STREAM.length; i++) {
      expect(readAll([ANTHROPIC_STREAM.subarray(0, i), ANTHROPIC_STREAM.subarray(i)])).toEqual(whole);
    }
  });

  it('property: any chunking gives the same events', () => {
    const whole = readAll([ANTHROPIC_STREAM]);
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
      expect(readAll(cutAt(ANTHROPIC_STREAM, offsets))).toEqual(whole);
    }));
  });

  it('property: any events, any line ending, any chunking', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    const ev = fc.record({ type: fc.constantFrom('ping', 'content_block_delta', 'future_event'), text });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (events, offsets, eol) => {
        const bytes = Buffer.from(events.map((e) => `event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`).join(''));
        expect(readAll(cutAt(bytes, offsets))).toEqual(events);
      }),
    );
  });

  it('takes the type from the SSE event name when the JSON has none; a last event without its blank line is flushed at the end', () => {
    const r = new AnthropicEventReader();
    expect(r.push(Buffer.from('event: ping\ndata: {}\n\nevent: message_stop\ndata: {"type":"message_stop"}'), true).map((e) => e.event)).toEqual([{ type: 'ping' }, { type: 'message_stop' }]);
  });

  it('refuses an event that is not JSON as upstream_response_invalid', () => {
    const r = new AnthropicEventReader();
    expect(codeOf(() => r.push(Buffer.from('event: message_start\ndata: {not json\n\n')))).toBe('upstream_response_invalid');
    expect(codeOf(() => new AnthropicEventReader().push(Buffer.from('data: [1,2]\n\n')))).toBe('upstream_response_invalid');
  });
});

describe('Anthropic stream -> OpenAI chunks', () => {
  const whole = toOpenAI([ANTHROPIC_STREAM]);

  it('translates text and tool_use blocks, usage chunk and [DONE]', () => {
    const datas = whole.out.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    expect(datas.at(-1)).toBe('[DONE]');
    const chunks = datas.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'héllo 👋 世界' },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a": "ü' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"}' } }] },
      {},
      null,
    ]);
    expect(chunks[5].choices[0].finish_reason).toBe('tool_calls');
    expect(chunks[6].usage).toEqual({ prompt_tokens: 14, completion_tokens: 20, total_tokens: 34, prompt_tokens_details: { cached_tokens: 4 } });
    expect(chunks.every((c) => c.id === 'msg_1' && c.created === 1728986400 && c.model === 'claude-x')).toBe(true);
    expect(whole.usage).toEqual({ inputTokens: 14, outputTokens: 20, totalTokens: 34, cachedInputTokens: 4 });
    expect(whole.model).toBe('claude-x');
  });

  it('gives the same client bytes for the upstream split at every boundary', () => {
    for (let i = 0; i <= ANTHROPIC_STREAM.length; i++) {
      expect(toOpenAI([ANTHROPIC_STREAM.subarray(0, i), ANTHROPIC_STREAM.subarray(i)]).out).toBe(whole.out);
    }
  });

  it('property: any chunking gives the same client bytes and usage', () => {
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
      const got = toOpenAI(cutAt(ANTHROPIC_STREAM, offsets));
      expect(got.out).toBe(whole.out);
      expect(got.usage).toEqual(whole.usage);
    }));
  });

  it('a stream cut before message_stop is upstream_response_invalid', () => {
    const cutShort = ANTHROPIC_STREAM.subarray(0, ANTHROPIC_STREAM.indexOf('event: message_stop'));
    expect(() => toOpenAI([cutShort])).toThrowError(/message_stop/);
  });
});

describe('OpenAI stream -> Anthropic events', () => {
  const whole = toAnthropic([OPENAI_STREAM]);

  it('builds the Messages event sequence', () => {
    const events = whole.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.split('\n')[1]!.slice('data: '.length)));
    expect(events.map((e) => e.type)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events[4].content_block).toEqual({ type: 'tool_use', id: 'call_1', name: 'f', input: {} });
    expect(events[5].delta.partial_json + events[6].delta.partial_json).toBe('{"a": "世界"}');
    expect(events[8]).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 7, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 2 } });
  });

  it('gives the same client bytes for the upstream split at every boundary', () => {
    for (let i = 0; i <= OPENAI_STREAM.length; i++) {
      expect(toAnthropic([OPENAI_STREAM.subarray(0, i), OPENAI_STREAM.subarray(i)])).toBe(whole);
    }
  });

  it('property: any chunking gives the same client bytes', () => {
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
      expect(toAnthropic(cutAt(OPENAI_STREAM, offsets))).toBe(whole);
    }));
  });

  it('finishes a stream without [DONE] once a finish_reason was seen, refuses one without', () => {
    const noDone = OPENAI_STREAM.subarray(0, OPENAI_STREAM.indexOf('data: [DONE]'));
    expect(toAnthropic([noDone])).toBe(whole);
    const noFinish = OPENAI_STREAM.subarray(0, OPENAI_STREAM.indexOf('data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason"'));
    expect(() => toAnthropic([noFinish])).toThrowError(/ended before/);
  });

  it('numbers tool calls from servers that leave out their index', () => {
    const noIndex = Buffer.from(OPENAI_STREAM.toString().replace(/"index":0,"id"/g, '"id"').replace(/\{"index":0,"function"/g, '{"function"'));
    expect(noIndex.toString()).not.toContain('"tool_calls":[{"index"');
    expect(toAnthropic([noIndex])).toBe(whole);
  });

  it("skips Azure's opening content-filter chunk", () => {
    const azure = Buffer.concat([Buffer.from('data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[]}\n\n'), OPENAI_STREAM]);
    expect(toAnthropic([azure])).toBe(whole);
  });
});
