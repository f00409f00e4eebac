// The AWS event stream decoder must give the same frames however Envoy cuts the
// bytes: whole, byte by byte, or at any set of boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventStreamDecoder, EventStreamError, type EventStreamMessage, encodeEvent, eventJson } from '../../src/usage/eventstream.js';

const frameArb = fc.record({
  headers: fc.dictionary(
    fc.stringMatching(/^:?[a-z][a-z-]{0,15}$/),
    fc.string({ maxLength: 40 }),
    { maxKeys: 4 },
  ),
  body: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 })),
});

function decodeAll(chunks: Uint8Array[]): EventStreamMessage[] {
  const d = new EventStreamDecoder();
  const out: EventStreamMessage[] = [];
  for (const c of chunks) out.push(...d.push(c));
  expect(d.pending).toBe(0);
  return out;
}

function norm(ms: EventStreamMessage[]) {
  return ms.map((m) => ({ headers: m.headers, body: Buffer.from(m.body).toString('hex') }));
}

describe('EventStreamDecoder', () => {
  it('decodes what the codec encodes, split at every single boundary', () => {
    const bytes = Buffer.concat([
      encodeEvent({ ':event-type': 'messageStart', ':content-type': 'application/json', ':message-type': 'event' }, '{"role":"assistant"}'),
      encodeEvent({ ':event-type': 'contentBlockDelta', ':message-type': 'event' }, '{"contentBlockIndex":0,"delta":{"text":"héllo ✓"}}'),
      encodeEvent({ ':event-type': 'messageStop', ':message-type': 'event' }, ''),
    ]);
    const whole = norm(decodeAll([bytes]));
    expect(whole).toHaveLength(3);
    expect(eventJson(decodeAll([bytes])[1]!)).toEqual({ contentBlockIndex: 0, delta: { text: 'héllo ✓' } });
    for (let i = 1; i < bytes.length; i++) {
      expect(norm(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]))).toEqual(whole);
    }
    expect(norm(decodeAll([...bytes].map((b) => Uint8Array.of(b))))).toEqual(whole);
  });

  it('yields the same messages for the same bytes split at any boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeEvent(f.headers, f.body)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(at, p));
          at = p;
        }
        const got = decodeAll(chunks);
        expect(norm(got)).toEqual(norm(decodeAll([bytes])));
        expect(got.map((m) => m.headers)).toEqual(frames.map((f) => f.headers));
        expect(got.map((m) => Buffer.from(m.body).toString('hex'))).toEqual(
          frames.map((f) => Buffer.from(typeof f.body === 'string' ? Buffer.from(f.body, 'utf8') : f.body).toString('hex')),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a frame cut short as pending bytes', () => {
    const bytes = encodeEvent({ ':message-type': 'event' }, '{"a":1}');
    const d = new EventStreamDecoder();
    expect(d.push(bytes.subarray(0, bytes.length - 3))).toEqual([]);
    expect(d.pending).toBe(bytes.length - 3);
  });

  it('rejects a frame whose CRC does not match', () => {
    const bytes = Buffer.from(encodeEvent({ ':message-type': 'event' }, '{"a":1}'));
    bytes[bytes.length - 6]! ^= 0xff;
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(EventStreamError);
  });

  it('rejects bytes that are not an event stream at all', () => {
    expect(() => new EventStreamDecoder().push(Buffer.from('{"message":"not a stream"}'))).toThrow(EventStreamError);
  });
});
