// Prompt caching across the gateway: cache writes beside cache reads in Usage, the metadata
// key and the price they are charged at; Anthropic cache_control as Bedrock Converse cache
// points (placement, ttl, what Bedrock cannot express).
import { describe, expect, it } from 'vitest';
import { ConfigFile } from '../../src/config/schema.js';
import { METADATA_KEYS } from '../../src/envoy/metadata-keys.js';
import { GatewayError } from '../../src/errors.js';
import { fromAnthropicUsage } from '../../src/providers/anthropic/usage.js';
import { converseFromAnthropic } from '../../src/providers/bedrock/anthropic-request.js';
import { anthropicUsage } from '../../src/providers/bedrock/anthropic-response.js';
import { chatUsage } from '../../src/providers/bedrock/openai-response.js';
import { fromConverseUsage } from '../../src/providers/bedrock/shared.js';
import { fromGeminiUsage } from '../../src/providers/gemini/usage.js';
import { fromOpenAIUsage } from '../../src/providers/openai/usage.js';
import { fromResponsesUsage } from '../../src/providers/openai/responses-usage.js';
import { costUsd } from '../../src/usage/cost.js';
import { usageMetadata } from '../../src/usage/metadata.js';
import type { MessagesRequest } from '../../src/dialects/anthropic/types.js';

describe('cache writes in usage', () => {
  it('Anthropic: input_tokens excludes reads and writes; the total prompt includes both', () => {
    expect(fromAnthropicUsage({ input_tokens: 20, cache_creation_input_tokens: 1500, cache_read_input_tokens: 3000, output_tokens: 9 })).toEqual({
      inputTokens: 4520,
      outputTokens: 9,
      totalTokens: 4529,
      cachedInputTokens: 3000,
      cacheWriteInputTokens: 1500,
    });
  });

  it('Bedrock Converse: the same rule, and totalTokens as Bedrock reports it', () => {
    expect(fromConverseUsage({ inputTokens: 20, outputTokens: 9, totalTokens: 4529, cacheReadInputTokens: 3000, cacheWriteInputTokens: 1500 })).toEqual({
      inputTokens: 4520,
      outputTokens: 9,
      totalTokens: 4529,
      cachedInputTokens: 3000,
      cacheWriteInputTokens: 1500,
    });
    // No cache fields: no cache keys (absent is not zero).
    expect(fromConverseUsage({ inputTokens: 20, outputTokens: 9, totalTokens: 29 })).toEqual({ inputTokens: 20, outputTokens: 9, totalTokens: 29 });
  });

  it('OpenAI, the Responses API and Gemini report reads only', () => {
    expect(fromOpenAIUsage({ prompt_tokens: 2000, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 1920 } })).toEqual({ inputTokens: 2000, outputTokens: 5, totalTokens: 2005, cachedInputTokens: 1920 });
    expect(fromResponsesUsage({ input_tokens: 2000, output_tokens: 5, total_tokens: 2005, input_tokens_details: { cached_tokens: 1920 } })).toMatchObject({ inputTokens: 2000, cachedInputTokens: 1920 });
    expect(fromResponsesUsage({ input_tokens: 2000, output_tokens: 5, total_tokens: 2005, input_tokens_details: { cached_tokens: 1920 } })).not.toHaveProperty('cacheWriteInputTokens');
    expect(fromGeminiUsage({ promptTokenCount: 2000, candidatesTokenCount: 5, totalTokenCount: 2005, cachedContentTokenCount: 1900 })).toEqual({ inputTokens: 2000, outputTokens: 5, totalTokens: 2005, cachedInputTokens: 1900 });
  });

  it('metadata carries cache_write_input_tokens, a key the generated access log lists right after cached_input_tokens', () => {
    expect(usageMetadata({ inputTokens: 4520, outputTokens: 9, totalTokens: 4529, cachedInputTokens: 3000, cacheWriteInputTokens: 1500 })).toEqual({
      input_tokens: 4520,
      output_tokens: 9,
      total_tokens: 4529,
      cached_input_tokens: 3000,
      cache_write_input_tokens: 1500,
      tokens_estimated: false,
    });
    expect(usageMetadata({ inputTokens: 10, outputTokens: 1 })).not.toHaveProperty('cache_write_input_tokens');
    const keys: readonly string[] = METADATA_KEYS;
    expect(keys.indexOf('cache_write_input_tokens')).toBe(keys.indexOf('cached_input_tokens') + 1);
  });

  it('in the client shape: Anthropic fields from Converse, OpenAI cached_tokens with writes inside prompt_tokens', () => {
    const u = { inputTokens: 20, outputTokens: 9, totalTokens: 4529, cacheReadInputTokens: 3000, cacheWriteInputTokens: 1500 };
    expect(anthropicUsage(u)).toEqual({ input_tokens: 20, output_tokens: 9, cache_creation_input_tokens: 1500, cache_read_input_tokens: 3000 });
    expect(chatUsage(u)).toEqual({ prompt_tokens: 4520, completion_tokens: 9, total_tokens: 4529, prompt_tokens_details: { cached_tokens: 3000 } });
  });
});

describe('pricing cache writes', () => {
  const sonnet = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 };

  it('reads at cachedInput, writes at cacheWrite, the rest of the input at input, output at output', () => {
    const u = { inputTokens: 1_000_000, cachedInputTokens: 500_000, cacheWriteInputTokens: 200_000, outputTokens: 100_000 };
    expect(costUsd(u, sonnet)).toBeCloseTo(0.3 * 3 + 0.5 * 0.3 + 0.2 * 3.75 + 0.1 * 15, 12);
  });

  it('without a cacheWrite price, writes cost the input price; without cachedInput, reads do', () => {
    const u = { inputTokens: 1_000_000, cachedInputTokens: 500_000, cacheWriteInputTokens: 200_000, outputTokens: 0 };
    expect(costUsd(u, { input: 3, cachedInput: 0.3, output: 15 })).toBeCloseTo(0.3 * 3 + 0.5 * 0.3 + 0.2 * 3, 12);
    expect(costUsd(u, { input: 3, output: 15 })).toBeCloseTo(3, 12);
  });

  it('writes the only cache traffic: a cache-writing first request costs more than an uncached one', () => {
    const first = { inputTokens: 10_000, cacheWriteInputTokens: 9_000, cachedInputTokens: 0, outputTokens: 0 };
    expect(costUsd(first, sonnet)).toBeCloseTo((1_000 * 3 + 9_000 * 3.75) / 1e6, 12);
    expect(costUsd(first, sonnet)).toBeGreaterThan(costUsd({ inputTokens: 10_000, outputTokens: 0 }, sonnet));
  });

  it('parts never exceed the whole: reads first, then writes, are capped at the input count', () => {
    const odd = { inputTokens: 100, cachedInputTokens: 80, cacheWriteInputTokens: 50, outputTokens: 0 };
    expect(costUsd(odd, sonnet)).toBeCloseTo((80 * 0.3 + 20 * 3.75) / 1e6, 12);
  });

  it('the config takes cacheWrite; a negative price or an unknown key is refused', () => {
    const ok = ConfigFile.safeParse({ pricing: { 'claude-*': sonnet } });
    expect(ok.success).toBe(true);
    expect(ok.data?.pricing?.['claude-*']).toEqual(sonnet);
    expect(ConfigFile.safeParse({ pricing: { 'claude-*': { ...sonnet, cacheWrite: -1 } } }).success).toBe(false);
    expect(ConfigFile.safeParse({ pricing: { 'claude-*': { ...sonnet, cacheWrites: 3.75 } } }).success).toBe(false);
  });
});

describe('cache_control -> Converse cachePoint', () => {
  const eph = { type: 'ephemeral' as const };
  const req = (over: Partial<MessagesRequest>): MessagesRequest => ({ model: 'anthropic.claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...over }) as MessagesRequest;

  it('right after the marked block: system, message content (each position) and tools', () => {
    const body = converseFromAnthropic(
      req({
        system: [
          { type: 'text', text: 'rules', cache_control: eph },
          { type: 'text', text: 'today is Monday' },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'doc', cache_control: eph }, { type: 'text', text: 'question' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'answer' }] },
          { role: 'user', content: [{ type: 'text', text: 'more' }, { type: 'text', text: 'last', cache_control: { type: 'ephemeral', ttl: '5m' } }] },
        ],
        tools: [
          { name: 'a', input_schema: { type: 'object' } },
          { name: 'b', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } },
        ],
      }),
      undefined,
    );
    expect(body.system).toEqual([{ text: 'rules' }, { cachePoint: { type: 'default' } }, { text: 'today is Monday' }]);
    expect(body.messages[0]!.content).toEqual([{ text: 'doc' }, { cachePoint: { type: 'default' } }, { text: 'question' }]);
    expect(body.messages[1]!.content).toEqual([{ text: 'answer' }]);
    expect(body.messages[2]!.content).toEqual([{ text: 'more' }, { text: 'last' }, { cachePoint: { type: 'default', ttl: '5m' } }]);
    expect(body.toolConfig!.tools).toEqual([
      { toolSpec: { name: 'a', inputSchema: { json: { type: 'object' } } } },
      { toolSpec: { name: 'b', inputSchema: { json: { type: 'object' } } } },
      { cachePoint: { type: 'default', ttl: '1h' } },
    ]);
  });

  it('a marker inside a tool result: the cache point follows the tool result (Converse tool results hold none)', () => {
    const body = converseFromAnthropic(
      req({
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'w', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'sunny', cache_control: eph }] }, { type: 'text', text: 'thanks' }] },
        ],
      }),
      undefined,
    );
    expect(body.messages[2]!.content).toEqual([{ toolResult: { toolUseId: 't1', content: [{ text: 'sunny' }] } }, { cachePoint: { type: 'default' } }, { text: 'thanks' }]);
  });

  it('null cache_control is no marker', () => {
    const body = converseFromAnthropic(req({ system: [{ type: 'text', text: 's', cache_control: null }] }), undefined);
    expect(body.system).toEqual([{ text: 's' }]);
  });

  it.each([
    ['a ttl Bedrock has no value for', { system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '24h' } }] }, 'system[0].cache_control.ttl'],
    ['a cache type other than ephemeral', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'persistent' } }] }] }, 'messages[0].content[0].cache_control.type'],
    ['a bad ttl on a tool', { tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: 300 } }] }, 'tools[0].cache_control.ttl'],
  ])('%s: 400 unsupported_field naming it', (_what, over, param) => {
    let err: unknown;
    try {
      converseFromAnthropic(req(over as Partial<MessagesRequest>), undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('unsupported_field');
    expect((err as GatewayError).param).toBe(param);
    // Anthropic's error body has no param: the message names the field.
    expect((err as GatewayError).message).toContain(param);
  });
});
