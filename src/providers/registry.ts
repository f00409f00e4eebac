// Every provider the gateway speaks, by config name. Adding a provider means adding
// its folder and one line here; the config schema derives its enum from these keys.
import { anthropic } from './anthropic/index.js';
import { azureopenai } from './azureopenai/index.js';
import { bedrock } from './bedrock/index.js';
import { gemini } from './gemini/index.js';
import { openai } from './openai/index.js';
import type { ProviderSpec } from './types.js';
import { vertexai } from './vertexai/index.js';

export const PROVIDERS: Readonly<Record<string, ProviderSpec>> = {
  openai,
  anthropic,
  azureopenai,
  bedrock,
  gemini,
  vertexai,
};

export function providerSpec(name: string): ProviderSpec {
  const spec = PROVIDERS[name];
  if (!spec) throw new Error(`unknown provider ${name}`);
  return spec;
}
