// The Responses translator's stream reading: usage, model and the end of the answer found in
// the terminal event wherever Envoy cuts the bytes, with or without `event:` lines (compatible
// servers send data only), and the bytes never touched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src/dialects/types.js';
import { OpenAIResponsesSameDialect } from '../../src/providers/openai/responses.js';
import type { TranslationContext } from '../../src/providers/types.js';
import { cutAt } from '../helpers/drive.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'openai-openai');
const fixture = (name: string) => readFileSync(join(FIXTURES, name, 'upstream.sse'), 'utf8');

function translator(operation: Operation = 'responses'): OpenAIResponsesSameDialect {
  const ctx = { backend: { basePath: '' }, dialect: 'openai', operation, path: '/v1/responses', query: '', options: {}, requestHeaders: new Map() } as unknown as TranslationContext;
  const t = new OpenAIResponsesSameDialect(ctx);
  t.request({ model: 'gpt-4.1-mini', stream: true, input: 'hi' });
  t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
  return t;
}

function feed(t: OpenAIResponsesSameDialect, chunks: Buffer[]): void {
  chunks.forEach((c, i) => expect(t.responseChunk(c, i === chunks.length - 1)).toBeUndefined());
}

/** The same stream as a server without `event:` lines, `type` not first in its JSON, LF line ends. */
function dataOnly(sse: string): string {
  return sse
    .split('\n\n')
    .filter(Boolean)
    .map((ev) => {
      const data = JSON.parse(ev.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as Record<string, unknown>;
      const { type, ...rest } = data;
      return `data: ${JSON.stringify({ ...rest, type })}\n\n`;
    })
    .join('');
}

describe('Responses streams, cut anywhere', () => {
  const TOOL = fixture('responses-stream-tool-call');
  const want = { inputTokens: 291, outputTokens: 23, totalTokens: 314, cachedInputTokens: 128, reasoningTokens: 0 };

  it.each([
    ['with event: lines', TOOL],
    ['data only, type last', dataOnly(TOOL)],
  ])('%s: the same usage, model and end at every two-piece split', (_name, sse) => {
    const bytes = Buffer.from(sse);
    for (let at = 0; at <= bytes.length; at++) {
      const t = translator();
      feed(t, cutAt(bytes, [at]));
      expect(t.usage()).toEqual(want);
      expect(t.responseModel()).toBe('gpt-4.1-mini-2025-04-14');
      expect(t.progress().complete).toBe(true);
      expect(t.progress().finishReasons).toEqual(['completed']);
    }
  });

  it('the answer is complete at response.completed, before the body ends (a client may hang up there)', () => {
    const bytes = Buffer.from(TOOL);
    const end = bytes.indexOf('event: response.completed');
    const t = translator();
    t.responseChunk(bytes.subarray(0, end), false);
    expect(t.progress().complete).toBe(false);
    expect(t.usage()).toEqual({});
    t.responseChunk(bytes.subarray(end), false);
    expect(t.progress().complete).toBe(true);
    expect(t.usage()).toEqual(want);
  });

  it('response.failed ends the answer with its usage and status; an error event ends it with its code', () => {
    const failed = translator();
    const response = { id: 'resp_1', object: 'response', status: 'failed', model: 'gpt-4.1-mini-2025-04-14', output: [], error: { code: 'server_error', message: 'boom' }, usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } };
    feed(failed, [Buffer.from(`event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: 3, response })}\n\n`)]);
    expect(failed.progress().complete).toBe(true);
    expect(failed.progress().finishReasons).toEqual(['failed']);
    expect(failed.usage()).toEqual({ inputTokens: 5, outputTokens: 2, totalTokens: 7 });

    const errored = translator();
    feed(errored, [Buffer.from(fixture('responses-stream-error-event'))]);
    expect(errored.progress().complete).toBe(true);
    expect(errored.progress().finishReasons).toEqual(['server_error']);
    expect(errored.usage()).toEqual({});
    expect(errored.progress().outputText()).toBe('Hello there, ');
  });

  it('a stream cut before its terminal event keeps the delivered text (answer, tool arguments, reasoning summary) for the estimate', () => {
    const t = translator();
    feed(t, [Buffer.from(fixture('responses-stream-cut-estimated'))]);
    expect(t.progress().complete).toBe(false);
    expect(t.progress().outputText()).toBe('The quick brown fox jumps over ');
    const tool = translator();
    const bytes = Buffer.from(TOOL);
    tool.responseChunk(bytes.subarray(0, bytes.indexOf('event: response.function_call_arguments.done')), false);
    expect(tool.progress().outputText()).toBe('Let me check the weather.{"city":"Paris"}');
    const reasoning = translator();
    const r = Buffer.from(fixture('responses-stream-reasoning'));
    reasoning.responseChunk(r.subarray(0, r.indexOf('event: response.reasoning_summary_text.done')), false);
    expect(reasoning.progress().outputText()).toBe('**Working out** the product\n\nSix times seven is 42.');
  });

  it('a stored response streamed again (GET …?stream=true) is not counted: 0 tokens, complete at its terminal event', () => {
    const t = translator('responses_state');
    t.responseChunk(Buffer.from(TOOL), false);
    expect(t.usage()).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    expect(t.progress().complete).toBe(true);
    expect(t.progress().outputText()).toBeUndefined();
  });
});
