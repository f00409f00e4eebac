// What a request cost, from its usage and the config's price table (USD per million tokens,
// by model glob): cache reads at the cachedInput price and cache writes at the cacheWrite
// price where given, the rest of the input at the input price, output (reasoning included) at
// the output price. Input counts include cache reads and writes (see Usage), so both are
// taken out of it before the input price applies.
import type { Usage } from './types.js';

export interface Price {
  input: number;
  cachedInput?: number;
  /** Tokens written to the prompt cache (Anthropic charges them above the input price); default: input. */
  cacheWrite?: number;
  output: number;
}

export interface PriceRule {
  regex: RegExp;
  price: Price;
}

/** The first rule whose glob matches the model that answered, else the one asked for. */
export function priceFor(rules: readonly PriceRule[], ...models: (string | undefined)[]): Price | undefined {
  for (const m of models) {
    if (m === undefined) continue;
    const hit = rules.find((r) => r.regex.test(m));
    if (hit) return hit.price;
  }
  return undefined;
}

export function costUsd(u: Usage, p: Price): number {
  const input = u.inputTokens ?? 0;
  // Parts never exceed the whole, even when the whole was estimated and the parts reported.
  const cached = Math.min(u.cachedInputTokens ?? 0, input);
  const written = Math.min(u.cacheWriteInputTokens ?? 0, input - cached);
  const output = u.outputTokens ?? 0;
  const plain = input - cached - written;
  return (plain * p.input + cached * (p.cachedInput ?? p.input) + written * (p.cacheWrite ?? p.input) + output * p.output) / 1e6;
}

/** The cost in whole millionths of a dollar, rounded up: what a budget counter is charged. */
export function microUsd(cost: number): number {
  return Math.max(0, Math.ceil(cost * 1e6 - 1e-9));
}
