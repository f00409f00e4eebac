// The streamed Gemini -> OpenAI translation must not depend on where Envoy cuts
// the body: every split of the same upstream bytes gives the same client bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAt } from '../../helpers/drive.js';
import { OpenAIChatToGemini } from '../../../src/providers/gemini/openai-chat.js';
import { aiStudioTarget } from '../../../src/providers/gemini/target.js';
import { SseParser } from '../../../src/usage/sse.js';
import { ctx } from './ctx.js';

const EVENTS = [
  { candidates: [{ content: { role: 'model', parts: [{ text: 'Grüße, ' }] }, index: 0 }, { content: { role: 'model', parts: [{ text: '¡Hola ' }] }, index: 1 }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 }, modelVersion: 'gemini-2.5-flash', responseId: 'r-1' },
  { candidates: [{ content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Welt 🌍' }] }, index: 0, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 7, totalTokenCount: 12 }, modelVersion: 'gemini-2.5-flash', responseId: 'r-1' },
  { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'wave', args: { to: 'mundo' } } }] }, index: 1, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 9, thoughtsTokenCount: 3, totalTokenCount: 19 }, modelVersion: 'gemini-2.5-flash', responseId: 'r-1' },
];
const UPSTREAM = Buffer.from(EVENTS.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''));

function run(chunks: Buffer[], includeUsage = true) {
  const t = new OpenAIChatToGemini(ctx(), aiStudioTarget({}));
  t.request({ model: 'gemini-2.5-flash', stream: true, stream_options: { include_usage: includeUsage }, n: 2, messages: [{ role: 'user', content: 'hi' }] });
  const h = t.responseHeaders(200, new Map([['content-type', 'text/event-stream'], ['date', 'Tue, 04 Nov 2025 10:00:00 GMT']]));
  expect(h).toMatchObject({ rewritesBody: true, setHeaders: { 'content-type': 'text/event-stream' } });
  const out = chunks.map((c, i) => t.responseChunk(c, i === chunks.length - 1));
  return { text: Buffer.concat(out).toString('utf8'), usage: t.usage(), model: t.responseModel() };
}


describe('Gemini stream -> OpenAI chunks', () => {
  const whole = run([UPSTREAM]);

  it('translates candidates, skips thoughts, emits whole tool calls, usage chunk and [DONE]', () => {
    const data = new SseParser().push(Buffer.from(whole.text)).map((e) => e.data!);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { id: string; model: string; choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['r-1']));
    expect(new Set(chunks.map((c) => (c as { created?: number }).created))).toEqual(new Set([Date.parse('2025-11-04T10:00:00Z') / 1000]));
    const text = (i: number) => chunks.flatMap((c) => c.choices.filter((ch) => ch.index === i)).map((ch) => (ch.delta.content as string | undefined) ?? '').join('');
    expect(text(0)).toBe('Grüße, Welt 🌍');
    expect(text(1)).toBe('¡Hola ');
    const finishes = chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason).map((ch) => [ch.index, ch.finish_reason]));
    expect(finishes).toEqual([[0, 'stop'], [1, 'tool_calls']]);
    const calls = chunks.flatMap((c) => c.choices.flatMap((ch) => (ch.delta.tool_calls as unknown[] | undefined) ?? []));
    expect(calls).toEqual([{ index: 0, id: 'call_r-1_0', type: 'function', function: { name: 'wave', arguments: '{"to":"mundo"}' } }]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 12, total_tokens: 19, completion_tokens_details: { reasoning_tokens: 3 } } });
    expect(whole.usage).toEqual({ inputTokens: 7, outputTokens: 12, totalTokens: 19, reasoningTokens: 3 });
    expect(whole.model).toBe('gemini-2.5-flash');
  });

  it('gives the same bytes at every single split point', () => {
    for (let i = 1; i < UPSTREAM.length; i++) {
      expect(run([UPSTREAM.subarray(0, i), UPSTREAM.subarray(i)]).text).toBe(whole.text);
    }
  });

  it('gives the same bytes for any set of split points', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: UPSTREAM.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(run(cutAt(UPSTREAM, cuts)).text).toBe(whole.text);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the usage chunk out unless asked, still counting', () => {
    const r = run([UPSTREAM], false);
    expect(r.text).not.toContain('"usage"');
    expect(r.usage.totalTokens).toBe(19);
  });

  it('a prompt blocked before any candidate finishes with content_filter', () => {
    const blocked = Buffer.from(`data: ${JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 }, modelVersion: 'gemini-2.0-flash', responseId: 'b-1' })}\n\n`);
    const data = new SseParser().push(Buffer.from(run([blocked], false).text)).map((e) => e.data!);
    expect(JSON.parse(data[0]!)).toMatchObject({ choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: 'content_filter' }] });
    expect(data[1]).toBe('[DONE]');
  });

  it('an error event mid-stream becomes an OpenAI error event the SDKs raise', () => {
    const body = Buffer.from(`data: ${JSON.stringify(EVENTS[0])}\n\ndata: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })}\n\n`);
    const data = new SseParser().push(Buffer.from(run([body], false).text)).map((e) => e.data!);
    expect(JSON.parse(data[2]!)).toEqual({ error: { message: 'The model is overloaded.', type: 'api_error', param: null, code: 'UNAVAILABLE' } });
  });

  it('an upstream event that is not JSON is upstream_response_invalid', () => {
    expect(() => run([Buffer.from('data: {not json\n\n')])).toThrow(/not JSON/);
  });
});

describe('usage for a stream cut short', () => {
  it('reports input only and the generated text, so the processor can estimate output', () => {
    const cut = UPSTREAM.subarray(0, UPSTREAM.indexOf('\r\n\r\n') + 4);
    const t = new OpenAIChatToGemini(ctx(), aiStudioTarget({}));
    t.request({ model: 'gemini-2.5-flash', stream: true, n: 2, messages: [{ role: 'user', content: 'hi' }] });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    t.responseChunk(cut, true);
    expect(t.usage()).toEqual({ inputTokens: 7, totalTokens: 7 });
    expect(t.progress().outputText()).toBe('Grüße, ¡Hola ');
  });
});
