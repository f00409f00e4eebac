// Every provider the gateway speaks, by config name. Adding a provider means adding
// its folder and one line here; the config schema derives its enum from these keys.
import { openai } from './openai/index.js';
import type { ProviderSpec } from './types.js';

export const PROVIDERS: Readonly<Record<string, ProviderSpec>> = {
  openai,
};

export function providerSpec(name: string): ProviderSpec {
  const spec = PROVIDERS[name];
  if (!spec) throw new Error(`unknown provider ${name}`);
  return spec;
}
