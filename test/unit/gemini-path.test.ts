// Gemini's native paths: the model is everything between `models/` and the last `:method`.
import { describe, expect, it } from 'vitest';
import { matchGeminiPath } from '../../src/dialects/gemini/index.js';

describe('Gemini native paths', () => {
  it('a model id with colons of its own (Bedrock’s) keeps them; the method is the last part', () => {
    expect(matchGeminiPath('/v1beta/models/anthropic.claude-3-haiku-20240307-v1:0:streamGenerateContent')).toEqual({
      dialect: 'gemini',
      operation: 'chat',
      pathStream: true,
      pathModel: 'anthropic.claude-3-haiku-20240307-v1:0',
    });
    expect(matchGeminiPath('/v1beta/models/gemini-2.0-flash:generateContent')).toMatchObject({ pathModel: 'gemini-2.0-flash', pathStream: false });
    expect(matchGeminiPath('/v1/models/m%3A1:countTokens')).toMatchObject({ pathModel: 'm:1', operation: 'other' });
  });

  it('no method, another method, or a path below the model is not Gemini’s', () => {
    expect(matchGeminiPath('/v1beta/models/gemini-2.0-flash')).toBeUndefined();
    expect(matchGeminiPath('/v1beta/models/gemini-2.0-flash:predict')).toBeUndefined();
    expect(matchGeminiPath('/v1beta/models/a/b:generateContent')).toBeUndefined();
  });
});
