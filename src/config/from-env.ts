// The config `llm-extproc up` uses without --config: backends from the provider
// keys found in the environment, the first one found being the default; with none,
// a local OpenAI-compatible server (Ollama) on 127.0.0.1:11434.
import { PROVIDERS } from '../providers/registry.js';
import type { ConfigFile } from './schema.js';

type RawBackend = Record<string, unknown>;

function origin(url: string): string {
  const withScheme = /^https?:\/\//.test(url) ? url : `http://${url}`;
  return new URL(withScheme).origin;
}

/** An SDK base URL as an endpoint: its path (`/api/v1`, `/openai/v1`) is kept; the provider maps `/v1` onto it. */
function baseUrl(url: string): string {
  const u = new URL(/^https?:\/\//.test(url) ? url : `http://${url}`);
  const path = u.pathname.replace(/\/+$/, '');
  return path === '' || path === '/v1' ? u.origin : `${u.origin}${path}`;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): unknown {
  const backends: [string, RawBackend][] = [];
  const models: { match: string; backend: string }[] = [];
  const add = (name: string, b: RawBackend, glob?: string) => {
    if (!PROVIDERS[b.provider as string]) return; // provider not built into this version
    backends.push([name, b]);
    if (glob) models.push({ match: glob, backend: name });
  };
  const secret = (name: string) => ({ kind: 'SecretRef', secretRef: { env: name } });
  if (env.OPENAI_API_KEY) {
    add('openai', { provider: 'openai', authToken: secret('OPENAI_API_KEY'), ...(env.OPENAI_BASE_URL ? { endpoint: baseUrl(env.OPENAI_BASE_URL) } : {}) });
  }
  if (env.ANTHROPIC_API_KEY) add('anthropic', { provider: 'anthropic', authToken: secret('ANTHROPIC_API_KEY') }, 'claude-*');
  if (env.GEMINI_API_KEY) add('gemini', { provider: 'gemini', authToken: secret('GEMINI_API_KEY') }, 'gemini-*');
  if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT) {
    add('azure', { provider: 'azureopenai', endpoint: origin(env.AZURE_OPENAI_ENDPOINT), authToken: secret('AZURE_OPENAI_API_KEY') });
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && env.AWS_REGION) {
    add('bedrock', {
      provider: 'bedrock',
      region: env.AWS_REGION,
      aws: {
        accessKeyId: { env: 'AWS_ACCESS_KEY_ID' },
        secretAccessKey: { env: 'AWS_SECRET_ACCESS_KEY' },
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: { env: 'AWS_SESSION_TOKEN' } } : {}),
      },
    });
  }
  if (env.OLLAMA_HOST) add('ollama', { provider: 'openai', endpoint: origin(env.OLLAMA_HOST) });
  if (backends.length === 0) add('ollama', { provider: 'openai', endpoint: 'http://127.0.0.1:11434' });
  const file: Partial<ConfigFile> & { backends: Record<string, RawBackend> } = {
    defaultBackend: backends[0]![0],
    backends: Object.fromEntries(backends),
    models: models as ConfigFile['models'],
  };
  return file;
}
