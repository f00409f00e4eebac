// The Responses API in the OpenAI dialect: which paths are which operation, and which bodies
// are refused before any provider sees them.
import { describe, expect, it } from 'vitest';
import { detectDialect, validateRequest } from '../../src/dialects/index.js';
import { responsesTail } from '../../src/dialects/openai/index.js';
import { GatewayError } from '../../src/errors.js';

describe('Responses API paths', () => {
  it.each([
    ['/v1/responses', 'responses'],
    ['/openai/v1/responses', 'responses'],
    ['/openai/responses', 'responses'],
    ['/v1/responses/compact', 'responses_compact'],
    ['/v1/responses/input_tokens', 'other'],
    ['/v1/responses/resp_123', 'responses_state'],
    ['/v1/responses/resp_123/cancel', 'responses_state'],
    ['/v1/responses/resp_123/input_items', 'responses_state'],
    ['/v1/chat/completions', 'chat'],
  ])('%s is %s', (path, operation) => {
    expect(detectDialect(path)).toEqual({ dialect: 'openai', operation });
  });

  it.each(['/v1/responses/resp_123/other', '/v1/responses/resp_123/cancel/x', '/v1/responsesx', '/v1/my-responses'])('%s is not a Responses path', (path) => {
    expect(detectDialect(path)?.operation ?? 'none').not.toMatch(/^responses/);
  });

  it('gives the /responses tail a provider puts under its own base', () => {
    expect(responsesTail('/openai/v1/responses/resp_1/input_items')).toBe('/responses/resp_1/input_items');
    expect(responsesTail('/team-a/v1/responses')).toBe('/responses');
    expect(responsesTail('/v1/chat/completions')).toBeUndefined();
  });
});

describe('Responses API bodies', () => {
  const refused = (body: Record<string, unknown>, operation: 'responses' | 'responses_compact' | 'other' = 'responses') => {
    try {
      validateRequest('openai', operation, body);
    } catch (e) {
      expect(e).toBeInstanceOf(GatewayError);
      return [(e as GatewayError).code, (e as GatewayError).param];
    }
    return undefined;
  };

  it('accepts the shapes the SDK sends, unknown item and tool types included', () => {
    expect(refused({ model: 'gpt-4.1', input: 'hi' })).toBeUndefined();
    expect(
      refused({
        model: 'gpt-4.1',
        instructions: 'be brief',
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: '42' },
          { type: 'item_reference', id: 'msg_1' },
        ],
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }, { type: 'web_search' }],
        tool_choice: { type: 'function', name: 'f' },
        reasoning: { effort: 'low', summary: 'auto' },
        text: { format: { type: 'json_schema', name: 'x', schema: {} } },
        stream: true,
        store: false,
        include: ['reasoning.encrypted_content'],
      }),
    ).toBeUndefined();
    expect(refused({ model: 'gpt-4.1', previous_response_id: 'resp_1' })).toBeUndefined();
  });

  it.each([
    [{ model: 42 }, 'model'],
    [{ model: 'm', input: 7 }, 'input'],
    [{ model: 'm', input: [{ role: 'user' }] }, 'input[0].content'],
    [{ model: 'm', input: [{ content: 'x' }] }, 'input[0].type'],
    [{ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }] }, 'input[0].arguments'],
    [{ model: 'm', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'm', stream: 'yes' }, 'stream'],
    [{ model: 'm', max_output_tokens: 1.5 }, 'max_output_tokens'],
    [{ model: 'm', text: { format: {} } }, 'text.format.type'],
  ])('refuses %j at %s', (body, param) => {
    expect(refused(body)).toEqual(['invalid_request', param]);
  });

  it('checks input_tokens and compact bodies too', () => {
    expect(refused({ model: 'm', input: 7 }, 'other')).toEqual(['invalid_request', 'input']);
    expect(refused({ model: 'm', input: [{ role: 3, content: 'x' }] }, 'responses_compact')).toEqual(['invalid_request', 'input[0].role']);
  });
});
