// Which Bedrock models CountTokens counts, and under which id: a profile is counted by its model.
import { describe, expect, it } from 'vitest';
import { countModelId, countsOnBedrock } from '../../src/providers/bedrock/count-tokens.js';

describe('Bedrock CountTokens model ids', () => {
  it('counts Claude models only: base ids, inference profiles and ARNs of either', () => {
    for (const id of [
      'anthropic.claude-3-5-haiku-20241022-v1:0',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0',
    ]) expect(countsOnBedrock(id), id).toBe(true);
    for (const id of [undefined, 'amazon.nova-lite-v1:0', 'us.meta.llama3-3-70b-instruct-v1:0', 'claude-sonnet-4-5', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3']) {
      expect(countsOnBedrock(id), String(id)).toBe(false);
    }
  });

  it('names the foundation model a system-defined inference profile routes to', () => {
    expect(countModelId('anthropic.claude-3-5-haiku-20241022-v1:0')).toBe('anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(countModelId('us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe('anthropic.claude-sonnet-4-20250514-v1:0');
    expect(countModelId('us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(countModelId('global.anthropic.claude-opus-4-5-20251101-v1:0')).toBe('anthropic.claude-opus-4-5-20251101-v1:0');
    expect(countModelId('arn:aws:bedrock:us-east-1:123456789012:inference-profile/apac.anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    // A foundation model's ARN is what CountTokens takes already.
    const arn = 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0';
    expect(countModelId(arn)).toBe(arn);
  });
});
