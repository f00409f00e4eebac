import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../src/dialects/openai/types.js';
import { GatewayError } from '../../../src/errors.js';
import { chatToGemini } from '../../../src/providers/gemini/chat-request.js';
import { aiStudioTarget } from '../../../src/providers/gemini/target.js';
import { vertexGeminiTarget } from '../../../src/providers/vertexai/target.js';

const beta = aiStudioTarget({});
const v1 = aiStudioTarget({ apiVersion: 'v1' });
const req = (over: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }], ...over });

function refusal(fn: () => unknown): { code: string; param?: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return { code: (err as GatewayError).code, param: (err as GatewayError).param };
  }
  throw new Error('expected a GatewayError');
}

describe('chatToGemini', () => {
  it('maps tool_choice values', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }];
    expect(chatToGemini(req({ tools, tool_choice: 'none' }), beta, 'm').toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(chatToGemini(req({ tools, tool_choice: 'auto' }), beta, 'm').toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(refusal(() => chatToGemini(req({ tools, tool_choice: { type: 'custom' } as never }), beta, 'm'))).toEqual({ code: 'unsupported_field', param: 'tool_choice' });
  });

  it('maps sampling, logprobs and penalties into generationConfig', () => {
    const g = chatToGemini(req({ n: 3, stop: ['a', 'b'], presence_penalty: 0.5, frequency_penalty: -0.5, logprobs: true, top_logprobs: 4, max_tokens: 10, max_completion_tokens: 20 }), beta, 'm').generationConfig;
    expect(g).toEqual({ candidateCount: 3, stopSequences: ['a', 'b'], presencePenalty: 0.5, frequencyPenalty: -0.5, responseLogprobs: true, logprobs: 4, maxOutputTokens: 20 });
  });

  it('maps reasoning_effort to a budget (2.5) or a level (3)', () => {
    expect(chatToGemini(req({ reasoning_effort: 'high' }), beta, 'gemini-2.5-pro').generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 24576 });
    expect(chatToGemini(req({ reasoning_effort: 'none' }), beta, 'gemini-2.5-flash').generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 0 });
    expect(chatToGemini(req({ reasoning_effort: 'low' }), beta, 'gemini-3-pro-preview').generationConfig?.thinkingConfig).toEqual({ thinkingLevel: 'low' });
    expect(refusal(() => chatToGemini(req({ reasoning_effort: 'extreme' }), beta, 'gemini-2.5-pro')).param).toBe('reasoning_effort');
  });

  it('json_schema: JSON Schema as is on v1beta and Vertex, converted to Gemini schema on v1', () => {
    const schema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } }, required: ['tags'], additionalProperties: false };
    const rf = { type: 'json_schema' as const, json_schema: { name: 's', schema } };
    expect(chatToGemini(req({ response_format: rf }), beta, 'm').generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(chatToGemini(req({ response_format: rf }), vertexGeminiTarget({ projectId: 'p', location: 'l' }), 'm').generationConfig?.responseJsonSchema).toEqual(schema);
    expect(chatToGemini(req({ response_format: rf }), v1, 'm').generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'OBJECT', properties: { tags: { type: 'ARRAY', items: { type: 'STRING' } } }, required: ['tags'] },
    });
  });

  it('audio and files become inlineData', () => {
    const out = chatToGemini(req({ messages: [{ role: 'user', content: [
      { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
      { type: 'file', file: { file_data: 'JVBERi0=', filename: 'b.pdf' } },
      { type: 'image_url', image_url: { url: 'gs://bucket/photo.webp' } },
    ] }] }), beta, 'm');
    expect(out.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'gs://bucket/photo.webp' } },
    ]);
  });

  it('refuses what Gemini cannot take, naming the field', () => {
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }), beta, 'm')).param).toBe('messages[0].content[0].file.file_id');
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }, { role: 'user', content: 'x' }] }), beta, 'm')).param).toBe('messages[0].content[0].type');
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }] }), beta, 'm')).param).toBe('messages[1].tool_call_id');
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{bad' } }] }] }), beta, 'm')).param).toBe('messages[0].tool_calls[0].function.arguments');
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'system', content: 'only system' }] }), beta, 'm')).param).toBe('messages');
    expect(refusal(() => chatToGemini(req({ tools: [{ type: 'web_search' } as never] }), beta, 'm')).param).toBe('tools[0].type');
    expect(refusal(() => chatToGemini(req({ modalities: ['audio'] } as never), beta, 'm')).param).toBe('modalities');
    expect(refusal(() => chatToGemini(req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }), beta, 'm')).param).toBe('messages[0].content[0].image_url.url');
  });

  it('fields that ask for nothing pass', () => {
    expect(() => chatToGemini(req({ logit_bias: {}, modalities: ['text'], safety_identifier: 'u', prompt_cache_key: 'k' } as never), beta, 'm')).not.toThrow();
    expect(refusal(() => chatToGemini(req({ logit_bias: { 1: 2 } } as never), beta, 'm')).param).toBe('logit_bias');
  });

  it('null fields count as absent; legacy function messages become function responses', () => {
    const out = chatToGemini(req({ temperature: null, logit_bias: null, messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { role: 'function', name: 'f', content: '[1,2]' },
    ] } as never), beta, 'm');
    expect(out.generationConfig).toBeUndefined();
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'x' }] },
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: '[1,2]' } } }] },
    ]);
  });

  it('a non-base64 data URL is re-encoded', () => {
    const out = chatToGemini(req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } }] }] }), beta, 'm');
    expect(out.contents[0]!.parts[0]).toEqual({ inlineData: { mimeType: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') } });
  });
});
