// The cloud SDKs are loaded by the first request that needs them, not by a config that
// merely names such a backend, and never by a processor without one.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { config } from '../helpers/drive.js';

const require = createRequire(import.meta.url);
const SDKS = ['@aws-sdk/credential-providers', 'google-auth-library', '@azure/identity'];
const loaded = () => SDKS.filter((id) => Object.keys(require.cache).some((k) => k.includes(`/node_modules/${id}/`)));

describe('cloud credential SDKs', () => {
  it('are not loaded by compiling backends that use them', () => {
    config({
      defaultBackend: 'b',
      backends: {
        b: { provider: 'bedrock', region: 'us-east-1' },
        v: { provider: 'vertexai', projectId: 'p', location: 'us-central1' },
        a: { provider: 'azureopenai', endpoint: 'https://r.openai.azure.com', authToken: { kind: 'AzureAD' } },
      },
    });
    expect(loaded()).toEqual([]);
  });
});
