// The Gemini -> OpenAI translators' edges that golden fixtures do not reach: the stream
// translator fed the same bytes split at every boundary (and at random ones), errors and
// cut-short streams, servers without usage or tool-call indexes; and request fields that
// are refused, mapped or narrowed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GenerateContentRequest } from '../../../src/dialects/gemini/types.js';
import { GatewayError } from '../../../src/errors.js';
import { geminiToChat } from '../../../src/providers/openai/from-gemini-request.js';
import { OpenAIToGeminiStream } from '../../../src/providers/openai/from-gemini-stream.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'gemini-openai', 'stream');
const upstream = readFileSync(join(FIXTURE, 'upstream.sse'));
const expected = readFileSync(join(FIXTURE, 'client.sse'), 'utf8');

function feed(chunks: Buffer[]): { out: string; s: OpenAIToGeminiStream } {
  const s = new OpenAIToGeminiStream();
  let out = '';
  chunks.forEach((c, i) => (out += s.push(c, i === chunks.length - 1)));
  return { out, s };
}

const events = (text: string) => text.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
const chunk = (o: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'chatcmpl-u', object: 'chat.completion.chunk', created: 1, model: 'm-1', ...o })}\n\n`;

describe('OpenAIToGeminiStream', () => {
  it('gives the same Gemini events for the stream split in two at every byte', () => {
    const whole = feed([upstream]).out;
    expect(events(whole)).toEqual(events(expected));
    for (let at = 1; at < upstream.length; at++) {
      expect(feed([upstream.subarray(0, at), upstream.subarray(at)]).out, `split at ${at}`).toBe(whole);
    }
  });

  it('gives the same events for any split into many pieces', () => {
    const whole = feed([upstream]).out;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: upstream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), upstream.length];
        const pieces = points.slice(1).map((p, i) => upstream.subarray(points[i], p));
        return feed(pieces).out === whole;
      }),
    );
  });

  it('counts usage and is complete once the usage chunk arrives, before [DONE]', () => {
    const s = new OpenAIToGeminiStream();
    const text = upstream.toString();
    s.push(Buffer.from(text.slice(0, text.indexOf('data: [DONE]'))), false);
    expect(s.progress.complete).toBe(true);
    expect(s.usage()).toEqual({ inputTokens: 140, outputTokens: 52, totalTokens: 192, cachedInputTokens: 128, reasoningTokens: 0 });
    expect(s.responseModel).toBe('gpt-4.1-2025-04-14');
  });

  it('an error inside the stream ends it with Google error JSON outside the SSE framing, as Google does', () => {
    const { out, s } = feed([
      Buffer.from(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Once' }, finish_reason: null }], usage: null })),
      Buffer.from('data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n'),
      Buffer.from(chunk({ choices: [{ index: 0, delta: { content: 'never seen' }, finish_reason: null }] })),
    ]);
    expect(out).toBe(
      `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Once' }] }, index: 0 }], modelVersion: 'm-1', responseId: 'chatcmpl-u' })}\n\n` +
        JSON.stringify({ error: { code: 500, message: 'The server had an error while processing your request.', status: 'INTERNAL' } }),
    );
    expect(s.progress.complete).toBe(true);
  });

  it('a stream that ends before any finish reason is an invalid upstream response, not a short answer', () => {
    const s = new OpenAIToGeminiStream();
    s.push(Buffer.from(chunk({ choices: [{ index: 0, delta: { content: 'half' }, finish_reason: null }] })), false);
    expect(() => s.push(Buffer.alloc(0), true)).toThrow(GatewayError);
  });

  it('a server without usage or [DONE] still gets its last event at the end, with no usageMetadata', () => {
    const { out, s } = feed([Buffer.from(chunk({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'length' }] }))]);
    const evs = events(out);
    expect(evs.at(-1)).toEqual({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'MAX_TOKENS', index: 0 }], modelVersion: 'm-1', responseId: 'chatcmpl-u' });
    expect(s.usage()).toEqual({});
    expect(s.progress.outputText()).toBe('hi');
  });

  it('tool-call fragments without an index (some compatible servers) still make whole calls', () => {
    const call = (tc: Record<string, unknown>) => chunk({ choices: [{ index: 0, delta: { tool_calls: [tc] }, finish_reason: null }] });
    const { out } = feed([
      Buffer.from(
        call({ id: 'a', function: { name: 'f', arguments: '{"x":' } }) +
          call({ function: { arguments: '1}' } }) +
          call({ id: 'b', function: { name: 'g', arguments: '{}' } }) +
          chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
          'data: [DONE]\n\n',
      ),
    ]);
    expect(events(out).at(-1).candidates[0].content.parts).toEqual([
      { functionCall: { id: 'a', name: 'f', args: { x: 1 } } },
      { functionCall: { id: 'b', name: 'g', args: {} } },
    ]);
  });

  it('arguments that are not a JSON object cannot be a Gemini functionCall', () => {
    const s = new OpenAIToGeminiStream();
    const body = chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{"x":' } }] }, finish_reason: 'tool_calls' }] }) + 'data: [DONE]\n\n';
    expect(() => s.push(Buffer.from(body), true)).toThrow(/not JSON/);
  });
});

describe('geminiToChat', () => {
  const opts = { model: 'gpt-4o', stream: false, maxTokensField: 'max_tokens' as const };
  const user = [{ role: 'user' as const, parts: [{ text: 'hi' }] }];
  const refused = (body: Partial<GenerateContentRequest>, param: string) => {
    let err: unknown;
    try {
      geminiToChat({ contents: user, ...body } as GenerateContentRequest, opts);
    } catch (e) {
      err = e;
    }
    expect(err, `expected ${param} to be refused`).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('unsupported_field');
    expect((err as GatewayError).param).toBe(param);
  };

  it('refuses what Chat Completions cannot express, naming the field', () => {
    refused({ generationConfig: { topK: 40 } }, 'generationConfig.topK');
    refused({ generationConfig: { candidateCount: 3 } }, 'generationConfig.candidateCount');
    refused({ generationConfig: { responseLogprobs: true } }, 'generationConfig.responseLogprobs');
    refused({ generationConfig: { responseMimeType: 'text/x.enum' } }, 'generationConfig.responseMimeType');
    refused({ generationConfig: { responseModalities: ['IMAGE'] } }, 'generationConfig.responseModalities');
    refused({ generationConfig: { thinkingConfig: { includeThoughts: true } } }, 'generationConfig.thinkingConfig.includeThoughts');
    refused({ safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] }, 'safetySettings');
    refused({ cachedContent: 'cachedContents/abc' }, 'cachedContent');
    refused({ tools: [{ googleSearch: {} }] }, 'tools[0].googleSearch');
    refused({ tools: [{ codeExecution: {} }] }, 'tools[0].codeExecution');
    const declared = [{ functionDeclarations: [{ name: 'f' }] }];
    refused({ tools: declared, toolConfig: { functionCallingConfig: { mode: 'VALIDATED' } } }, 'toolConfig.functionCallingConfig.mode');
    refused({ tools: declared, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['g', 'h'] } } }, 'toolConfig.functionCallingConfig.allowedFunctionNames');
    refused({ tools: declared, toolConfig: { retrievalConfig: { latLng: { latitude: 1, longitude: 2 } } } as never }, 'toolConfig.retrievalConfig');
    refused({ contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'gs://bucket/a.png', mimeType: 'image/png' } }] }] }, 'contents[0].parts[0].fileData.fileUri');
    refused({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'video/mp4', data: 'AAAA' } }] }] }, 'contents[0].parts[0].inlineData.mimeType');
    refused({ contents: [{ role: 'user', parts: [{ text: 'x' }] }, { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }] }, 'contents[1].parts[0]');
    refused({ contents: [{ role: 'user', parts: [{ executableCode: { language: 'PYTHON', code: '1' } }] }] }, 'contents[0].parts[0]');
    refused({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'never_called', response: {} } }] }] }, 'contents[0].parts[0].functionResponse');
  });

  it('ANY with several allowed names declares only those and requires a call', () => {
    const fn = (name: string) => ({ name, parameters: { type: 'OBJECT', properties: { q: { type: 'STRING', maxLength: '10' } } } });
    const out = geminiToChat({ contents: user, tools: [{ functionDeclarations: [fn('a'), fn('b'), fn('c')] }], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'c'] } } }, opts);
    expect(out.tools!.map((t) => t.function.name)).toEqual(['a', 'c']);
    expect(out.tool_choice).toBe('required');
    // Gemini's int64 schema counts may come as strings; JSON Schema wants numbers.
    expect(out.tools![0]!.function.parameters).toEqual({ type: 'object', properties: { q: { type: 'string', maxLength: 10 } } });
  });

  it('sends no tools and no tool_choice for an empty declaration list (OpenAI refuses both)', () => {
    const out = geminiToChat({ contents: user, tools: [{ functionDeclarations: [] }], toolConfig: { functionCallingConfig: { mode: 'ANY' } } }, opts);
    expect(out.tools).toBeUndefined();
    expect(out.tool_choice).toBeUndefined();
  });

  it('maps thinking levels and budgets to reasoning_effort', () => {
    const effort = (thinkingConfig: Record<string, unknown>) => geminiToChat({ contents: user, generationConfig: { thinkingConfig } }, opts).reasoning_effort;
    expect(effort({ thinkingLevel: 'HIGH' })).toBe('high');
    expect(effort({ thinkingBudget: 0 })).toBeUndefined();
    expect(effort({ thinkingBudget: 1024 })).toBe('low');
    expect(effort({ thinkingBudget: 8192 })).toBe('medium');
    expect(effort({ thinkingBudget: 24576 })).toBe('high');
    expect(effort({ thinkingBudget: -1 })).toBeUndefined();
  });

  it('parallel function responses answer their calls by id first, then by name in order', () => {
    const call = (name: string, id?: string) => ({ functionCall: { name, args: {}, ...(id ? { id } : {}) } });
    const out = geminiToChat(
      {
        contents: [
          ...user,
          { role: 'model', parts: [call('w'), call('w'), call('t', 'call_t')] },
          { role: 'user', parts: [{ functionResponse: { name: 't', id: 'call_t', response: { r: 3 } } }, { functionResponse: { name: 'w', response: { r: 1 } } }, { functionResponse: { name: 'w', response: { r: 2 } } }] },
        ],
      },
      opts,
    );
    expect(out.messages.slice(2).map((m) => [m.tool_call_id, m.content])).toEqual([
      ['call_t', '{"r":3}'],
      ['call_0', '{"r":1}'],
      ['call_1', '{"r":2}'],
    ]);
  });
});
