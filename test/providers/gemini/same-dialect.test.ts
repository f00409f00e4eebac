// Gemini -> Gemini forwards bytes untouched; usage must be read whatever the chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { GeminiSameDialect } from '../../../src/providers/gemini/same-dialect.js';
import { aiStudioTarget } from '../../../src/providers/gemini/target.js';
import { vertexGeminiTarget } from '../../../src/providers/vertexai/target.js';
import { ctx } from './ctx.js';

const EVENTS = [
  { candidates: [{ content: { role: 'model', parts: [{ text: 'a' }] } }], usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 }, modelVersion: 'gemini-2.0-flash-001' },
  { candidates: [{ content: { role: 'model', parts: [{ text: 'ñ€😀' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9, cachedContentTokenCount: 1 }, modelVersion: 'gemini-2.0-flash-001' },
];
const SSE = Buffer.from(EVENTS.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''));
const geminiCtx = (path: string, query = '', model?: string) => ctx({ dialect: 'gemini', path, query, ...(model ? { model } : {}) });

describe('GeminiSameDialect', () => {
  it('reads usage from a stream cut anywhere, leaving the bytes alone', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: SSE.length - 1 }), { maxLength: 30 }), (cuts) => {
        const t = new GeminiSameDialect(geminiCtx('/v1beta/models/gemini-2.0-flash:streamGenerateContent', 'alt=sse'), aiStudioTarget({}));
        t.request({});
        t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i) => SSE.subarray(p, points[i] ?? SSE.length));
        chunks.forEach((c, i) => expect(t.responseChunk(c, i === chunks.length - 1)).toBeUndefined());
        expect(t.usage()).toEqual({ inputTokens: 5, outputTokens: 4, totalTokens: 9, cachedInputTokens: 1 });
        expect(t.responseModel()).toBe('gemini-2.0-flash-001');
      }),
      { numRuns: 200 },
    );
  });

  it('builds paths: client query kept minus key, alt=sse for streams, Vertex resource paths', () => {
    const up = new GeminiSameDialect(geminiCtx('/v1/models/gemini-pro:streamGenerateContent', 'key=secret&foo=1'), aiStudioTarget({})).request({});
    expect(up.path).toBe('/v1beta/models/gemini-pro:streamGenerateContent?foo=1&alt=sse');
    expect(up.stream).toBe(true);
    const vx = new GeminiSameDialect(geminiCtx('/v1beta/models/gemini-pro:countTokens', '', 'gemini-2.5-pro'), vertexGeminiTarget({ projectId: 'p', location: 'asia-east1' })).request({});
    expect(vx.path).toBe('/v1/projects/p/locations/asia-east1/publishers/google/models/gemini-2.5-pro:countTokens');
    const bare = new GeminiSameDialect(geminiCtx('', 'alt=sse', 'gemini-2.0-flash'), aiStudioTarget({})).request({});
    expect(bare.path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  });

  it('refuses methods a target does not serve and bare requests without a model', () => {
    const vertex = vertexGeminiTarget({ projectId: 'p', location: 'l' });
    expect(() => new GeminiSameDialect(geminiCtx('/v1beta/models/x:batchEmbedContents'), vertex).request({})).toThrow(GatewayError);
    expect(() => new GeminiSameDialect(geminiCtx('/'), aiStudioTarget({})).request({})).toThrow(/names no model/);
  });

  it('a body that is not JSON is forwarded without counting', () => {
    const t = new GeminiSameDialect(geminiCtx('/v1beta/models/m:generateContent'), aiStudioTarget({}));
    t.request({});
    t.responseHeaders(502, new Map([['content-type', 'text/html']]));
    expect(t.responseChunk(Buffer.from('<html>bad gateway</html>'), true)).toBeUndefined();
    expect(t.usage()).toEqual({});
  });
});
