import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/usage/sse.js';
import { parseMetadataText } from '../../src/envoy/textproto.js';
import { cutAt } from '../helpers/drive.js';

function parseAll(chunks: Buffer[]) {
  const p = new SseParser();
  const out = chunks.flatMap((c) => p.push(c));
  const rest = p.flush();
  if (rest) out.push(rest);
  return out;
}

const STREAM = Buffer.from(
  'data: {"id":"1","choices":[{"delta":{"content":"héllo 👋"}}]}\n\n' +
    ': keep-alive comment\n\n' +
    'event: message_delta\r\ndata: {"a":1}\r\n\r\n' +
    'data: line one\ndata: line two\n\n' +
    'data: [DONE]\n\n',
);

describe('SSE framing', () => {
  it('parses events, fields, CRLF and multi-line data', () => {
    const events = parseAll([STREAM]);
    expect(events.map((e) => e.data)).toEqual(['{"id":"1","choices":[{"delta":{"content":"héllo 👋"}}]}', undefined, '{"a":1}', 'line one\nline two', '[DONE]']);
    expect(events[2]!.event).toBe('message_delta');
    expect(events.map((e) => e.raw).join('')).toBe(STREAM.toString());
  });

  it('gives the same events for the same bytes split at every boundary', () => {
    const whole = parseAll([STREAM]);
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual(whole);
    }
  });

  it('property: any chunking of any stream of events yields the same events', () => {
    const event = fc.record({ name: fc.option(fc.constantFrom('ping', 'content_block_delta'), { nil: undefined }), data: fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\r\n]/g, ' ')) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), fc.constantFrom('\n', '\r\n'), (events, cuts, eol) => {
        const bytes = Buffer.from(events.map((e) => `${e.name ? `event: ${e.name}${eol}` : ''}data: ${e.data}${eol}${eol}`).join(''));
        const got = parseAll(cutAt(bytes, cuts));
        expect(got.map((e) => e.data)).toEqual(events.map((e) => e.data));
        expect(got.map((e) => e.event)).toEqual(events.map((e) => e.name));
        expect(got.map((e) => e.raw).join('')).toBe(bytes.toString());
      }),
    );
  });

  it('flush returns an event cut short', () => {
    const p = new SseParser();
    expect(p.push(Buffer.from('data: {"partial"'))).toEqual([]);
    expect(p.flush()?.data).toBe('{"partial"');
  });
});

describe('route metadata text format', () => {
  it('reads Envoy-rendered Metadata', () => {
    const text = `filter_metadata {\n  key: "llm_extproc"\n  value {\n    fields {\n      key: "backend"\n      value {\n        string_value: "beta"\n      }\n    }\n    fields {\n      key: "n"\n      value { number_value: 2 }\n    }\n    fields { key: "cfg" value { struct_value { fields { key: "provider" value { string_value: "openai \\"x\\"" } } } } }\n    fields { key: "on" value { bool_value: true } }\n    fields { key: "l" value { list_value { values { string_value: "a" } values { number_value: 1 } } } }\n  }\n}\nfilter_metadata { key: "other" value { } }`;
    expect(parseMetadataText(text)).toEqual({ llm_extproc: { backend: 'beta', n: 2, cfg: { provider: 'openai "x"' }, on: true, l: ['a', 1] }, other: {} });
  });
});

describe('route metadata text escapes', () => {
  it('decodes octal-escaped UTF-8 and simple escapes', () => {
    const text = 'filter_metadata { key: "llm_extproc" value { fields { key: "model" value { string_value: "m\\303\\274nchen\\t\\"q\\"" } } } }';
    expect(parseMetadataText(text)).toEqual({ llm_extproc: { model: 'münchen\t"q"' } });
  });
});
