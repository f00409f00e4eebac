import { describe, expect, it } from 'vitest';
import { googleErrorToOpenAI } from '../../../src/providers/gemini/errors.js';
import { fromGeminiUsage, toOpenAIUsage } from '../../../src/providers/gemini/usage.js';

describe('fromGeminiUsage', () => {
  it('counts thoughts as output and tool-use prompts as input', () => {
    const u = fromGeminiUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 7, thoughtsTokenCount: 20, totalTokenCount: 42, cachedContentTokenCount: 3 });
    expect(u).toEqual({ inputTokens: 15, outputTokens: 27, totalTokens: 42, cachedInputTokens: 3, reasoningTokens: 20 });
    expect(toOpenAIUsage(u!)).toEqual({ prompt_tokens: 15, completion_tokens: 27, total_tokens: 42, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 20 } });
  });
  it('sums a total when Google gives none, and is undefined when nothing is reported', () => {
    expect(fromGeminiUsage({ promptTokenCount: 2, candidatesTokenCount: 3 })).toEqual({ inputTokens: 2, outputTokens: 3, totalTokens: 5 });
    expect(fromGeminiUsage({ trafficType: 'ON_DEMAND' })).toBeUndefined();
    expect(fromGeminiUsage(undefined)).toBeUndefined();
  });
});

describe('googleErrorToOpenAI', () => {
  it('maps Google errors, array-wrapped ones and non-JSON bodies', () => {
    const parse = (status: number, body: string) => JSON.parse(googleErrorToOpenAI(status, Buffer.from(body)).toString());
    expect(parse(401, '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}')).toEqual({
      error: { message: 'Request had invalid authentication credentials.', type: 'authentication_error', param: null, code: 'UNAUTHENTICATED' },
    });
    expect(parse(500, '[{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}]').error).toMatchObject({ message: 'Internal error encountered.', type: 'api_error', code: 'INTERNAL' });
    expect(parse(502, '<html>Bad Gateway</html>').error).toMatchObject({ message: '<html>Bad Gateway</html>', code: 'upstream_502' });
    expect(parse(503, '').error.message).toBe('upstream returned status 503');
  });
});
