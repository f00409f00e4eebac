// What a request cost, from its usage and the config's price table (USD per million tokens,
// by model glob): cached input at its own price where one is given, the rest of the input at
// the input price, output (reasoning included) at the output price.
import type { Usage } from './types.js';

export interface Price {
  input: number;
  cachedInput?: number;
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
  const cached = Math.min(u.cachedInputTokens ?? 0, input);
  const output = u.outputTokens ?? 0;
  return ((input - cached) * p.input + cached * (p.cachedInput ?? p.input) + output * p.output) / 1e6;
}

/** The cost in whole millionths of a dollar, rounded up: what a budget counter is charged. */
export function microUsd(cost: number): number {
  return Math.max(0, Math.ceil(cost * 1e6 - 1e-9));
}
