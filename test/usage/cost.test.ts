// Cost from usage and the price table: cached input at its own price, the rest of the input at
// the input price, output at the output price; the first glob that matches the answering model.
import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../src/config/compile.js';
import { costUsd, microUsd, priceFor } from '../../src/usage/cost.js';

const rules = [
  { regex: globToRegExp('gpt-4o-mini*'), price: { input: 0.15, cachedInput: 0.075, output: 0.6 } },
  { regex: globToRegExp('gpt-4o*'), price: { input: 2.5, output: 10 } },
];

describe('cost', () => {
  it('prices cached input apart, and without a cached price at the input price', () => {
    const mini = priceFor(rules, 'gpt-4o-mini-2024-07-18')!;
    expect(costUsd({ inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 }, mini)).toBeCloseTo(0.6 * 0.15 + 0.4 * 0.075 + 0.1 * 0.6, 12);
    const big = priceFor(rules, 'gpt-4o-2024-08-06')!;
    expect(costUsd({ inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 0 }, big)).toBeCloseTo(2.5, 12);
  });

  it('the answering model first, then the one asked for; none: no price', () => {
    expect(priceFor(rules, undefined, 'gpt-4o')).toBe(rules[1]!.price);
    expect(priceFor(rules, 'claude-x', 'gpt-4o-mini')).toBe(rules[0]!.price);
    expect(priceFor(rules, 'claude-x')).toBeUndefined();
  });

  it('budget counters are charged whole millionths, rounded up', () => {
    expect(microUsd(0.026)).toBe(26_000);
    expect(microUsd(0.0000015)).toBe(2);
    expect(microUsd(0)).toBe(0);
  });
});
