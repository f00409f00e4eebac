// The same-dialect stream observer parses an event only when it can carry something: a usage
// object (not the "usage":null every chunk of an include_usage stream has), a finish reason;
// and it rewrites only the chunks it must to take out the usage chunk the gateway asked for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { config, cutAt, drive } from '../../helpers/drive.js';
import { hasUsageObject } from '../../../src/providers/openai/same-dialect.js';

describe('hasUsageObject', () => {
  it('finds a usage object however it is spaced, and not null', () => {
    expect(hasUsageObject('{"choices":[],"usage":{"prompt_tokens":3}}')).toBe(true);
    expect(hasUsageObject('{"usage" :\n {"total_tokens":3}}')).toBe(true);
    expect(hasUsageObject('{"choices":[{"delta":{"content":"hi"}}],"usage":null}')).toBe(false);
    expect(hasUsageObject('{"usage": null}')).toBe(false);
    expect(hasUsageObject('{"choices":[{"delta":{"content":"hi"}}]}')).toBe(false);
  });

  it('is not fooled by the word in the text, escaped as JSON escapes it', () => {
    expect(hasUsageObject(JSON.stringify({ choices: [{ delta: { content: 'my "usage":{ notes' } }], usage: null }))).toBe(false);
    expect(hasUsageObject('{"x":"usage","usage":{"total_tokens":1}}')).toBe(true);
  });
});

describe('a stream the gateway asked usage for', () => {
  const cfg = config({ defaultBackend: 'b', backends: { b: { provider: 'openai', endpoint: 'http://127.0.0.1:9', authToken: { kind: 'Inline', inline: 'k' } } } });
  const chunkEvent = (content: string, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024', choices: [{ index: 0, delta: { content }, finish_reason: finish }], usage: null })}\n\n`;
  const usageEvent = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024', choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n\n`;
  const events = [chunkEvent(''), chunkEvent('Héllo '), chunkEvent('wörld ✓'), chunkEvent('', 'stop'), usageEvent, 'data: [DONE]\n\n'];
  const stream = Buffer.from(events.join(''));
  const withoutUsage = events.filter((e) => e !== usageEvent).join('');
  const request = { path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] } };

  async function run(chunks: Buffer[]) {
    const r = await drive(cfg, request, () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks }));
    const rewritten = r.replies.filter((x) => x.response_body?.response?.body_mutation !== undefined).length;
    return { body: r.client!.body.toString('utf8'), usage: r.metadata, rewritten };
  }

  it('reaches the client without the usage chunk, however Envoy cuts it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (offsets) => {
        const { body, usage } = await run(cutAt(stream, offsets));
        expect(body).toBe(withoutUsage);
        expect(usage).toMatchObject({ input_tokens: 9, output_tokens: 4, total_tokens: 13 });
      }),
      { numRuns: 200 },
    );
  });

  it('passes chunks of whole events on untouched: only the one with the usage chunk is rewritten', async () => {
    const { body, rewritten } = await run(events.map((e) => Buffer.from(e)));
    expect(body).toBe(withoutUsage);
    expect(rewritten).toBe(1);
  });
});
