// The Gemini -> Claude translators' edges the golden fixtures do not reach: the Anthropic
// and the ConverseStream translations fed the same bytes split at every boundary, the
// exact bytes of a mid-stream error (Google's JSON outside the SSE framing), cut streams,
// thinking carried without includeThoughts and read back from the history, and request
// fields that are refused, mapped or narrowed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GenerateContentRequest } from '../../../src/dialects/gemini/types.js';
import { GatewayError } from '../../../src/errors.js';
import { AnthropicEventReader } from '../../../src/providers/anthropic/events.js';
import { geminiToMessages, type FromGeminiOptions } from '../../../src/providers/anthropic/from-gemini-request.js';
import { AnthropicToGeminiStream } from '../../../src/providers/anthropic/from-gemini-stream.js';
import { packThinking, unpackThinking } from '../../../src/providers/anthropic/gemini-parts.js';
import { GeminiEventWriter } from '../../../src/providers/bedrock/gemini-response.js';
import { EventStreamDecoder, eventJson } from '../../../src/usage/eventstream.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const read = (p: string) => readFileSync(join(FIXTURES, p));

function feedAnthropic(chunks: Buffer[], includeThoughts = true): string {
  const reader = new AnthropicEventReader();
  const s = new AnthropicToGeminiStream(includeThoughts);
  let out = '';
  chunks.forEach((c, i) => {
    const end = i === chunks.length - 1;
    for (const { event } of reader.push(c, end)) out += s.event(event);
    if (end) out += s.end();
  });
  return out;
}

function feedConverse(chunks: Buffer[], includeThoughts = true): string {
  const decoder = new EventStreamDecoder();
  const w = new GeminiEventWriter({ id: '7f9a1c2e3b4d4e5f8a6b1c2d3e4f5a6b', created: 0 }, 'anthropic.claude-sonnet-4-5-20250929-v1:0', includeThoughts);
  let out = '';
  for (const c of chunks) {
    for (const m of decoder.push(c)) {
      out += m.headers[':message-type'] === 'event' ? w.event(m.headers[':event-type']!, eventJson(m)) : w.exception(m.headers[':exception-type']!, JSON.parse(Buffer.from(m.body).toString()).message);
    }
  }
  return out + w.end(decoder.pending > 0);
}

const events = (text: string) => text.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));

describe('AnthropicToGeminiStream', () => {
  const upstream = read('gemini-anthropic/stream/upstream.sse');

  it('gives the fixture\'s Gemini events for the stream split in two at every byte', () => {
    const whole = feedAnthropic([upstream]);
    expect(events(whole)).toEqual(events(read('gemini-anthropic/stream/client.sse').toString()));
    for (let at = 1; at < upstream.length; at++) expect(feedAnthropic([upstream.subarray(0, at), upstream.subarray(at)]), `split at ${at}`).toBe(whole);
  });

  it('without includeThoughts shows no thought part, and the thinking still travels on the next part', () => {
    const out = events(feedAnthropic([upstream], false));
    const parts = out.flatMap((e) => e.candidates[0].content.parts);
    expect(parts.some((p: { thought?: boolean }) => p.thought)).toBe(false);
    const carried = parts.find((p: { thoughtSignature?: string }) => p.thoughtSignature);
    expect(carried.text).toBe('Let me check ');
    expect(unpackThinking(carried.thoughtSignature)).toEqual([{ type: 'thinking', thinking: 'The user wants Paris weather. I should call get_weather.', signature: expect.stringMatching(/^EuYB/) }]);
  });

  it('an error event ends the stream with Google\'s error JSON outside the SSE framing, exactly', () => {
    const out = feedAnthropic([read('gemini-anthropic/stream-error/upstream.sse')]);
    expect(out).toBe(read('gemini-anthropic/stream-error/client.txt').toString());
    expect(out.endsWith('\n\n{"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}')).toBe(true);
  });

  it('a stream cut before message_stop is an upstream_response_invalid, never a short success', () => {
    const text = upstream.toString();
    const cut = Buffer.from(text.slice(0, text.indexOf('event: message_delta')));
    expect(() => feedAnthropic([cut])).toThrow(GatewayError);
  });
});

describe('GeminiEventWriter (ConverseStream -> Gemini SSE)', () => {
  const upstream = read('gemini-bedrock/stream/upstream.bin');

  it('gives the fixture\'s Gemini events for the event stream split in two at every byte', () => {
    const whole = feedConverse([upstream]);
    expect(events(whole)).toEqual(events(read('gemini-bedrock/stream/client.sse').toString()));
    for (let at = 1; at < upstream.length; at++) expect(feedConverse([upstream.subarray(0, at), upstream.subarray(at)]), `split at ${at}`).toBe(whole);
  });

  it('an exception frame ends the stream with Google\'s error JSON, exactly', () => {
    expect(feedConverse([read('gemini-bedrock/stream-error/upstream.bin')])).toBe(read('gemini-bedrock/stream-error/client.txt').toString());
  });

  it('a body cut mid-frame ends with Google\'s error JSON, not a finished answer', () => {
    const out = feedConverse([upstream.subarray(0, upstream.length - 10)]);
    expect(out).not.toContain('"finishReason"');
    expect(out.endsWith('"status":"INTERNAL"}}')).toBe(true);
  });
});

const OPTS: FromGeminiOptions = { model: 'claude-x', stream: false, urls: true, jsonOutput: 'schema', noneWithToolHistory: true };
const user = (text: string) => ({ role: 'user' as const, parts: [{ text }] });
const refused = (body: Partial<GenerateContentRequest>, param: string, opts = OPTS) => {
  let err: unknown;
  try {
    geminiToMessages({ contents: [user('hi')], ...body } as GenerateContentRequest, opts);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${param} to be refused`).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('unsupported_field');
  expect((err as GatewayError).message.startsWith(param + ' ')).toBe(true);
};

describe('geminiToMessages', () => {
  it('refuses what Claude cannot express, naming it', () => {
    refused({ cachedContent: 'cachedContents/abc' }, 'cachedContent');
    refused({ safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }] }, 'safetySettings');
    refused({ generationConfig: { seed: 1 } }, 'generationConfig.seed');
    refused({ generationConfig: { candidateCount: 2 } }, 'generationConfig.candidateCount');
    refused({ generationConfig: { responseMimeType: 'application/json' } }, 'generationConfig.responseMimeType');
    refused({ generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } as never }, 'generationConfig.responseModalities');
    refused({ generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } }, 'generationConfig.thinkingConfig.thinkingLevel');
    refused({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'video/mp4', data: 'AAAA' } }] }] }, 'contents[0].parts[0].inlineData.mimeType');
    refused({ contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'gs://bucket/a.png', mimeType: 'image/png' } }] }] }, 'contents[0].parts[0].fileData');
    refused({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }, 'contents[0].parts[0].functionResponse');
    const tools = [{ functionDeclarations: [{ name: 'f' }] }];
    refused({ tools, toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['f'] } } }, 'toolConfig.functionCallingConfig.allowedFunctionNames');
    refused({ tools, toolConfig: { functionCallingConfig: { mode: 'VALIDATED' } } }, 'toolConfig.functionCallingConfig.mode');
    refused({ tools: [{ codeExecution: {} }] }, 'tools[0].codeExecution');
  });

  it('Converse callers: file URIs and mode NONE in a conversation with function calls are refused in Gemini\'s terms', () => {
    const converse = { ...OPTS, urls: false, jsonOutput: 'any' as const, noneWithToolHistory: false };
    refused({ contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'https://x.test/a.png', mimeType: 'image/png' } }] }] }, 'contents[0].parts[0].fileData', converse);
    const history = [user('hi'), { role: 'model' as const, parts: [{ functionCall: { name: 'f', args: {} } }] }, { role: 'user' as const, parts: [{ functionResponse: { name: 'f', response: {} } }] }];
    refused({ contents: history, tools: [{ functionDeclarations: [{ name: 'f' }] }], toolConfig: { functionCallingConfig: { mode: 'NONE' } } }, 'toolConfig.functionCallingConfig.mode', converse);
    // application/json without a schema is a forced tool there: no refusal.
    const out = geminiToMessages({ contents: [user('hi')], generationConfig: { responseMimeType: 'application/json' } }, converse);
    expect(out.body.output_config).toEqual({ format: { type: 'json_schema', schema: { type: 'object' } } });
  });

  it('gives function calls without ids the same id on every turn, and answers them by name in order', () => {
    const contents = [
      user('weather?'),
      { role: 'model' as const, parts: [{ functionCall: { name: 'w', args: { c: 'A' } } }, { functionCall: { name: 'w', args: { c: 'B' } } }] },
      { role: 'user' as const, parts: [{ functionResponse: { name: 'w', response: { t: 1 } } }, { functionResponse: { name: 'w', response: { t: 2 } } }] },
    ];
    const a = geminiToMessages({ contents }, OPTS).body;
    const b = geminiToMessages({ contents: [...contents, { role: 'model', parts: [{ text: 'ok' }] }, user('thanks')] }, OPTS).body;
    expect(a.messages[1]!.content).toEqual([
      { type: 'tool_use', id: 'toolu_g1_0', name: 'w', input: { c: 'A' } },
      { type: 'tool_use', id: 'toolu_g1_1', name: 'w', input: { c: 'B' } },
    ]);
    expect(a.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_g1_0', content: '{"t":1}' },
      { type: 'tool_result', tool_use_id: 'toolu_g1_1', content: '{"t":2}' },
    ]);
    expect(b.messages.slice(0, 3)).toEqual(a.messages);
  });

  it('leaves out empty text parts, which Claude refuses as blocks, and turns left empty', () => {
    const { body } = geminiToMessages({ contents: [{ role: 'user', parts: [{ text: '' }, { text: 'hi' }] }, { role: 'model', parts: [{ text: '' }] }, { role: 'user', parts: [{ text: 'again' }] }] }, OPTS);
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'text', text: 'again' }] }]);
  });

  it('reads thinking back only from signatures the gateway packed: Gemini\'s own and thought text are dropped', () => {
    const blocks = [{ type: 'thinking' as const, thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking' as const, data: 'opaque' }];
    const { body } = geminiToMessages({
      contents: [
        user('q'),
        { role: 'model', parts: [{ text: 'gemini thought', thought: true, thoughtSignature: 'CiQBVKhc7e2e' }, { text: 'answer', thoughtSignature: packThinking(blocks) }] },
        user('more'),
      ],
    }, OPTS);
    expect(body.messages[1]).toEqual({ role: 'assistant', content: [...blocks, { type: 'text', text: 'answer' }] });
    expect(unpackThinking('CiQBVKhc7e2e')).toBeUndefined();
    expect(unpackThinking(Buffer.from('{"other":1}').toString('base64'))).toBeUndefined();
  });

  it('thinkingBudget: > 0 enables thinking above the output budget; 0 and -1 send none', () => {
    const t = (thinkingConfig: object, maxOutputTokens?: number) => geminiToMessages({ contents: [user('q')], generationConfig: { thinkingConfig, maxOutputTokens } }, OPTS);
    expect(t({ thinkingBudget: 3000, includeThoughts: true })).toMatchObject({ includeThoughts: true, body: { max_tokens: 7096, thinking: { type: 'enabled', budget_tokens: 3000 } } });
    expect(t({ thinkingBudget: 3000 }, 8000)).toMatchObject({ includeThoughts: false, body: { max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 3000 } } });
    for (const budget of [0, -1]) {
      const out = t({ thinkingBudget: budget, includeThoughts: true });
      expect(out.body.thinking).toBeUndefined();
      expect(out.includeThoughts).toBe(false);
      expect(out.body.max_tokens).toBe(4096);
    }
  });
});
