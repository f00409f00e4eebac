// Plain responses, errors and usage, both ways, plus the anthropic-version rule.
import { describe, expect, it } from 'vitest';
import type { TranslationContext } from '../../../src/providers/types.js';
import { anthropicHeaders, AnthropicUsageTracker, fromAnthropicUsage, toOpenAIError, toOpenAIFinishReason, toAnthropicStopReason } from '../../../src/providers/anthropic/index.js';
import { toAnthropicError, toAnthropicMessage } from '../../../src/providers/openai/from-anthropic-response.js';
import { GatewayError } from '../../../src/errors.js';

describe('usage', () => {
  it('counts cache writes and reads as input, reads as cached input', () => {
    expect(fromAnthropicUsage({ input_tokens: 3, cache_creation_input_tokens: 10, cache_read_input_tokens: 100, output_tokens: 7 })).toEqual({ inputTokens: 113, outputTokens: 7, totalTokens: 120, cachedInputTokens: 100, cacheWriteInputTokens: 10 });
    expect(fromAnthropicUsage({ input_tokens: 3, output_tokens: 7 })).toEqual({ inputTokens: 3, outputTokens: 7, totalTokens: 10 });
    expect(fromAnthropicUsage(undefined)).toBeUndefined();
  });

  it('takes message_delta counts as cumulative, field by field', () => {
    const t = new AnthropicUsageTracker();
    t.observe({ type: 'message_start', message: { id: 'msg_1', model: 'm', usage: { input_tokens: 5, cache_read_input_tokens: 2, output_tokens: 1 } } } as never);
    t.observe({ type: 'message_delta', delta: {}, usage: { output_tokens: 10 } } as never);
    t.observe({ type: 'message_delta', delta: {}, usage: { output_tokens: 12, input_tokens: 6 } } as never);
    expect(t.usage()).toEqual({ inputTokens: 8, outputTokens: 12, totalTokens: 20, cachedInputTokens: 2 });
    expect([t.model, t.id]).toEqual(['m', 'msg_1']);
  });
});

describe('finish reasons', () => {
  it('maps both ways', () => {
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', 'pause_turn', 'model_context_window_exceeded', 'new_reason', null].map(toOpenAIFinishReason)).toEqual(['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'length', 'stop', null]);
    expect(['stop', 'length', 'tool_calls', 'content_filter', 'function_call', null].map(toAnthropicStopReason)).toEqual(['end_turn', 'max_tokens', 'tool_use', 'refusal', 'tool_use', null]);
  });
});

describe('errors', () => {
  it('Anthropic -> OpenAI keeps the type and message; a non-JSON body keeps its text', () => {
    expect(JSON.parse(toOpenAIError(400, Buffer.from('{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}')).toString())).toEqual({ error: { message: 'max_tokens: too big', type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });
    expect(JSON.parse(toOpenAIError(503, Buffer.from('<html>upstream connect error</html>')).toString())).toEqual({ error: { message: '<html>upstream connect error</html>', type: 'api_error', param: null, code: 'api_error' } });
  });

  it('OpenAI -> Anthropic takes the type from the status', () => {
    expect(JSON.parse(toAnthropicError(429, Buffer.from('{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}')).toString())).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    expect(JSON.parse(toAnthropicError(500, Buffer.from('')).toString())).toEqual({ type: 'error', error: { type: 'api_error', message: 'upstream returned HTTP 500' } });
  });
});

describe('OpenAI completion -> Anthropic message', () => {
  it('keeps reasoning from compatible servers as a thinking block, refuses broken tool arguments', () => {
    const base = { id: 'c', object: 'chat.completion' as const, created: 1, model: 'deepseek-r1' };
    const msg = toAnthropicMessage({ ...base, choices: [{ index: 0, message: { role: 'assistant', content: '42', reasoning_content: 'think' } as never, finish_reason: 'stop' }] });
    expect(msg.content).toEqual([{ type: 'thinking', thinking: 'think', signature: '' }, { type: 'text', text: '42' }]);
    const broken = { ...base, choices: [{ index: 0, message: { role: 'assistant' as const, content: null, tool_calls: [{ id: 't', type: 'function' as const, function: { name: 'f', arguments: '{"a":' } }] }, finish_reason: 'tool_calls' as const }] };
    expect(() => toAnthropicMessage(broken)).toThrowError(GatewayError);
    expect(() => toAnthropicMessage({ ...base, choices: [] })).toThrowError(/without a choice/);
  });
});

describe('anthropic-version', () => {
  const ctx = (options: Record<string, unknown>, headers: [string, string][]) => ({ options, requestHeaders: new Map(headers) }) as unknown as TranslationContext;

  it('backend option, else the client header, else the default; accept-encoding removed', () => {
    expect(anthropicHeaders(ctx({ anthropicVersion: '2024-01-01' }, [['anthropic-version', '2023-06-01']]))).toEqual({ setHeaders: { 'anthropic-version': '2024-01-01' }, removeHeaders: ['accept-encoding'] });
    expect(anthropicHeaders(ctx({}, [['anthropic-version', '2023-01-01']])).setHeaders).toEqual({});
    expect(anthropicHeaders(ctx({}, [])).setHeaders).toEqual({ 'anthropic-version': '2023-06-01' });
  });
});
