// Gemini's embedContent / batchEmbedContents read for providers with another embeddings API
// (src/providers/shared/gemini-embed.ts): what each target can express passes, the rest is a
// 400 unsupported_field naming the field; through the processor, the refusal is Google's shape.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { geminiEmbedAnswer, readGeminiEmbed } from '../../src/providers/shared/gemini-embed.js';
import type { TranslationContext } from '../../src/providers/types.js';
import { config, drive } from '../helpers/drive.js';

const ctx = (path: string, model?: string) => ({ path, model, backend: { name: 'b' } }) as unknown as TranslationContext;
const BATCH = '/v1beta/models/text-embedding-3-small:batchEmbedContents';
const ONE = '/v1beta/models/text-embedding-3-small:embedContent';
const all = { api: 'X', taskType: true, title: true, dimensions: true };
const content = (text: string) => ({ parts: [{ text }] });

function refusal(f: () => unknown): GatewayError {
  try {
    f();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('readGeminiEmbed', () => {
  it('one content: its text parts joined, the options kept, the model from the path without models/', () => {
    const got = readGeminiEmbed(ctx('/v1beta/models/models%2Fe-1:embedContent'), { content: { parts: [{ text: 'a' }, { text: 'b' }] }, taskType: 'RETRIEVAL_DOCUMENT', title: 'T', outputDimensionality: 8 }, all);
    expect(got).toEqual({ method: 'embedContent', model: 'e-1', entries: [{ text: 'a\nb', taskType: 'RETRIEVAL_DOCUMENT', title: 'T', dimensions: 8 }], dimensions: 8 });
  });

  it("the route's or backend's model wins over the path's", () => {
    expect(readGeminiEmbed(ctx(ONE, 'pinned'), { content: content('a') }, all).model).toBe('pinned');
  });

  it('a batch: one entry per request, entry models ignored', () => {
    const got = readGeminiEmbed(ctx(BATCH), { requests: [{ model: 'models/other', content: content('a') }, { content: content('b') }] }, all);
    expect(got.entries.map((e) => e.text)).toEqual(['a', 'b']);
    expect(got.method).toBe('batchEmbedContents');
  });

  it.each([
    ['taskType', { requests: [{ content: content('a') }, { content: content('b'), taskType: 'CLUSTERING' }] }, 'requests[1].taskType'],
    ['title', { content: content('a'), title: 'T' }, 'title'],
    ['an unknown field', { content: content('a'), autoTruncate: true }, 'autoTruncate'],
    ['a non-text part', { content: { parts: [{ text: 'a' }, { inlineData: { mimeType: 'image/png', data: 'x' } }] } }, 'content.parts[1]'],
  ])('%s the target cannot express: refused, naming it', (_what, body, param) => {
    const e = refusal(() => readGeminiEmbed(ctx('requests' in body ? BATCH : ONE), body, { api: 'X', dimensions: true }));
    expect(e.code).toBe('unsupported_field');
    expect(e.param).toBe(param);
    expect(e.message).toContain(param);
  });

  it('outputDimensionality where the target has none', () => {
    expect(refusal(() => readGeminiEmbed(ctx(ONE), { content: content('a'), outputDimensionality: 4 }, { api: 'X' })).param).toBe('outputDimensionality');
  });

  it('a batch asking different dimensions: the first that differs is named', () => {
    const e = refusal(() => readGeminiEmbed(ctx(BATCH), { requests: [{ content: content('a'), outputDimensionality: 4 }, { content: content('b') }] }, all));
    expect(e.param).toBe('requests[1].outputDimensionality');
  });

  it('more texts than the target takes per request', () => {
    const e = refusal(() => readGeminiEmbed(ctx(BATCH), { requests: [{ content: content('a') }, { content: content('b') }] }, { api: 'X', maxTexts: 1 }));
    expect(e.param).toBe('requests');
  });

  it('an empty batch', () => {
    expect(refusal(() => readGeminiEmbed(ctx(BATCH), { requests: [] }, all)).code).toBe('invalid_request');
  });

  it('answers in the method asked', () => {
    expect(geminiEmbedAnswer('embedContent', [[1, 2]])).toEqual({ embedding: { values: [1, 2] } });
    expect(geminiEmbedAnswer('batchEmbedContents', [[1], [2]])).toEqual({ embeddings: [{ values: [1] }, { values: [2] }] });
  });
});

describe('through the processor', () => {
  it("a refusal is Google's error shape", async () => {
    const cfg = config({ defaultBackend: 'b', backends: { b: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } } } });
    const res = await drive(cfg, { path: ONE, body: { content: content('a'), title: 'T' } });
    expect(res.immediate?.status).toBe(400);
    expect(res.immediate?.body).toEqual({ error: { code: 400, message: expect.stringContaining('title'), status: 'INVALID_ARGUMENT' } });
  });
});
