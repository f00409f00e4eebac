// Request mapping both ways between OpenAI Chat Completions and Anthropic Messages:
// what maps, what is refused (400 unsupported_field naming the field), and the
// options other Claude hosts (Vertex AI) rely on.
import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../src/dialects/anthropic/types.js';
import type { ChatCompletionRequest } from '../../../src/dialects/openai/types.js';
import { GatewayError } from '../../../src/errors.js';
import { DEFAULT_MAX_TOKENS, parseDataUrl, toAnthropicRequest, toAnthropicToolChoice } from '../../../src/providers/anthropic/index.js';
import { toOpenAIChatRequest } from '../../../src/providers/openai/from-anthropic-request.js';

function refusal(fn: () => unknown): { code: string; param?: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return { code: err.code, param: err.param };
    throw err;
  }
  return undefined;
}

const chat = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'claude-x', messages: [{ role: 'user', content: 'hi' }], ...extra });
const messages = (extra: Partial<MessagesRequest>): MessagesRequest => ({ model: 'gpt-x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('OpenAI request -> Anthropic', () => {
  it('defaults max_tokens to the documented constant, prefers max_completion_tokens', () => {
    expect(DEFAULT_MAX_TOKENS).toBe(4096);
    expect(toAnthropicRequest(chat({})).max_tokens).toBe(4096);
    expect(toAnthropicRequest(chat({ max_tokens: 10, max_completion_tokens: 20 })).max_tokens).toBe(20);
  });

  it('maps reasoning_effort to a thinking budget below max_tokens', () => {
    const think = (extra: Partial<ChatCompletionRequest>) => {
      const out = toAnthropicRequest(chat(extra));
      return { max_tokens: out.max_tokens, thinking: out.thinking };
    };
    expect(think({ reasoning_effort: 'minimal' })).toEqual({ max_tokens: 1024 + 4096, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(think({ reasoning_effort: 'low' })).toEqual({ max_tokens: 2048 + 4096, thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(think({ reasoning_effort: 'medium', max_completion_tokens: 9000 })).toEqual({ max_tokens: 9000, thinking: { type: 'enabled', budget_tokens: 8192 } });
    // The client's limit bounds thinking and answer together: a budget above it shrinks to half.
    expect(think({ reasoning_effort: 'high', max_tokens: 10000 })).toEqual({ max_tokens: 10000, thinking: { type: 'enabled', budget_tokens: 5000 } });
    expect(think({ reasoning_effort: 'low', max_tokens: 2048 })).toEqual({ max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(think({ reasoning_effort: 'none' })).toEqual({ max_tokens: 4096, thinking: undefined });
  });

  it.each([
    [{ n: 2 }, 'n'],
    [{ seed: 7 }, 'seed'],
    [{ reasoning_effort: 'extreme' }, 'reasoning_effort'],
    [{ reasoning_effort: 'high', max_tokens: 2047 }, 'reasoning_effort'],
    [{ reasoning_effort: 'minimal', max_completion_tokens: 1024 }, 'reasoning_effort'],
    [{ logprobs: true }, 'logprobs'],
    [{ presence_penalty: 0.5 }, 'presence_penalty'],
    [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    [{ response_format: { type: 'json_object' } }, 'response_format.type'],
    [{ modalities: ['text', 'audio'] }, 'modalities'],
    [{ service_tier: 'flex' }, 'service_tier'],
    [{ tool_choice: { type: 'allowed_tools' } as never, tools: [{ type: 'function', function: { name: 'f' } }] }, 'tool_choice'],
    [{ messages: [{ role: 'function', content: 'x', name: 'f' }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
    [{ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, 'messages[0].content[0].file.file_id'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, 'messages[0].content[0].image_url.url'],
  ] as [Partial<ChatCompletionRequest>, string][])('refuses %j naming %s', (extra, param) => {
    expect(refusal(() => toAnthropicRequest(chat(extra)))).toEqual({ code: 'unsupported_field', param });
  });

  it('accepts neutral values of fields it cannot express', () => {
    expect(refusal(() => toAnthropicRequest(chat({ n: 1, presence_penalty: 0, frequency_penalty: null, logprobs: false, store: false, metadata: { a: 'b' }, modalities: ['text'] })))).toBeUndefined();
  });

  it('maps tool_choice and parallel_tool_calls', () => {
    expect(toAnthropicToolChoice('auto', false)).toEqual({ type: 'auto' });
    expect(toAnthropicToolChoice('none', true)).toEqual({ type: 'none' });
    expect(toAnthropicToolChoice('required', true)).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(toAnthropicToolChoice({ type: 'function', function: { name: 'f' } }, false)).toEqual({ type: 'tool', name: 'f' });
    expect(toAnthropicToolChoice(undefined, false)).toBeUndefined();
    expect(toAnthropicToolChoice(undefined, true)).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('puts tool results first in a merged user turn and drops empty assistant turns', () => {
    const out = toAnthropicRequest(
      chat({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: '', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] },
          { role: 'user', content: 'interjection' },
          { role: 'tool', tool_call_id: 't1', content: 'r1' },
          { role: 'assistant', content: null },
        ],
      }),
    );
    expect(out.messages).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r1' }, { type: 'text', text: 'interjection' }] },
    ]);
  });

  it('refuses tool arguments that are not JSON', () => {
    const bad = chat({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] });
    expect(refusal(() => toAnthropicRequest(bad))).toEqual({ code: 'invalid_json', param: 'messages[0].tool_calls[0].function.arguments' });
  });

  it('serves Vertex AI: no model in the body, extra fields added, structured outputs switchable', () => {
    const out = toAnthropicRequest(chat({ model: undefined }), { includeModel: false, extra: { anthropic_version: 'vertex-2023-10-16' } });
    expect(out).toEqual({ max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }], anthropic_version: 'vertex-2023-10-16' });
    const schema = chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } });
    expect(refusal(() => toAnthropicRequest(schema, { structuredOutputs: false }))).toEqual({ code: 'unsupported_field', param: 'response_format' });
    expect(refusal(() => toAnthropicRequest(chat({ model: undefined })))).toEqual({ code: 'missing_model', param: 'model' });
  });

  it('reads data URLs, base64 or percent-encoded', () => {
    expect(parseDataUrl('data:image/png;base64,AAAA')).toEqual({ mediaType: 'image/png', data: 'AAAA' });
    expect(parseDataUrl('data:text/plain,hi%20there')).toEqual({ mediaType: 'text/plain', data: Buffer.from('hi there').toString('base64') });
    expect(parseDataUrl('https://x')).toBeUndefined();
  });

  it('maps PDFs given as file_data to document blocks', () => {
    const out = toAnthropicRequest(chat({ messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBER' } }] }] }));
    expect(out.messages[0]!.content).toEqual([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'a.pdf' }]);
  });
});

describe('Anthropic request -> OpenAI', () => {
  const opts = { maxTokensField: 'max_tokens' as const };

  it.each([
    [{ top_k: 5 }, 'top_k'],
    [{ mcp_servers: [] }, 'mcp_servers'],
    [{ tools: [{ type: 'web_search_20250305', name: 'web_search', input_schema: {} }] }, 'tools[0].type'],
    [{ thinking: { type: 'interleaved' } }, 'thinking.type'],
    [{ output_config: { task_budget: 3 } }, 'output_config.task_budget'],
    [{ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }, 'messages[0].content[0].source.type'],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A' } }] }] }] }, 'messages[0].content[0].content[0].type'],
    [{ messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x' }] }] }, 'messages[0].content[0].type'],
  ] as [Partial<MessagesRequest>, string][])('refuses %j naming %s', (extra, param) => {
    expect(refusal(() => toOpenAIChatRequest(messages(extra), opts))).toEqual({ code: 'unsupported_field', param });
  });

  it('maps thinking budgets to reasoning effort and structured output to json_schema', () => {
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'enabled', budget_tokens: 1024 } }), opts).reasoning_effort).toBe('low');
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'enabled', budget_tokens: 8000 } }), opts).reasoning_effort).toBe('medium');
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'enabled', budget_tokens: 32000 } }), opts).reasoning_effort).toBe('high');
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'disabled' } }), opts).reasoning_effort).toBeUndefined();
    // Adaptive names no budget: the OpenAI model thinks at its default effort, or output_config.effort's.
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'adaptive' } }), opts).reasoning_effort).toBeUndefined();
    expect(toOpenAIChatRequest(messages({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }), opts).reasoning_effort).toBe('high');
    const out = toOpenAIChatRequest(messages({ output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }), opts);
    expect(out.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object' }, strict: true } });
  });

  it('uses the chosen max tokens field and pins the model', () => {
    const out = toOpenAIChatRequest(messages({}), { model: 'gpt-pinned', maxTokensField: 'max_completion_tokens' });
    expect(out).toEqual({ model: 'gpt-pinned', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 100 });
  });
});
