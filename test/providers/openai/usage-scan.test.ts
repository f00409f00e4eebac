// The same-dialect stream observer parses an event only when it can carry something: a usage
// object (not the "usage":null every chunk of an include_usage stream has), a finish reason.
import { describe, expect, it } from 'vitest';
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
