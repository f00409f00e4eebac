import { describe, expect, it } from 'vitest';
import { ConfigProblems } from '../../src/config/compile.js';
import { parseConfigObject, parseConfigText } from '../../src/config/load.js';
import { configFromEnv } from '../../src/config/from-env.js';
import { redact } from '../../src/admin/http.js';

function problems(raw: unknown): string[] {
  try {
    parseConfigObject(raw);
  } catch (err) {
    if (err instanceof ConfigProblems) return err.problems;
    throw err;
  }
  return [];
}

describe('config validation', () => {
  it('accepts the PRODUCT.md openai example and fills defaults', () => {
    const cfg = parseConfigText(`
selectorHeader: aigw-backend-selector
defaultBackend: openai
backends:
  openai:
    provider: openai
    model: gpt-4o-mini
    authToken: { kind: SecretRef, secretRef: { env: OPENAI_API_KEY } }
    routes: { /v1/chat/completions: completions, /v1/embeddings: passthrough, "*": passthrough }
  ollama: { provider: openai, endpoint: "http://127.0.0.1:11434" }
paths:
  - { prefix: /openai, backend: openai }
  - regex: "^/(?<provider>mistral|ollama)/(?<model>[^/?#]+)/chat/completions$"
    backend: "$(uri_captures.provider)"
    model: "$(uri_captures.model)"
    rewrite: /v1/chat/completions
models: [{ match: "llama*", backend: ollama }]
`);
    expect(cfg.selectorHeader).toBe('aigw-backend-selector');
    expect(cfg.maxRequestBytes).toBe(8 * 1024 * 1024);
    expect(cfg.ports).toEqual({ envoy: 8080, envoyAdmin: 9901, grpc: 50051, admin: 9464 });
    const openai = cfg.backends.get('openai')!;
    expect(openai).toMatchObject({ scheme: 'https', host: 'api.openai.com', port: 443, authority: 'api.openai.com', listModels: ['gpt-4o-mini'] });
    expect(openai.routes).toEqual([['/v1/chat/completions', 'completions'], ['/v1/embeddings', 'passthrough'], ['*', 'passthrough']]);
    expect(cfg.backends.get('ollama')).toMatchObject({ scheme: 'http', host: '127.0.0.1', port: 11434, authority: '127.0.0.1:11434' });
  });

  it('reports every problem with its path', () => {
    const p = problems({
      defaultBackend: 'ghost',
      backends: {
        azure: { provider: 'openai', authHeaderOverride: { prefix: '' } },
        bad: { provider: 'nope' },
        url: { provider: 'openai', endpoint: 'api.openai.com/v1' },
      },
      paths: [{ prefix: '/x', regex: '^/y', backend: 'azure' }, { prefix: '/z', backend: 'missing' }],
    });
    expect(p).toContain('backends.azure.authHeaderOverride.headerName: Required');
    expect(p.some((x) => x.startsWith('backends.bad.provider:'))).toBe(true);
    expect(p.some((x) => x.startsWith('backends.url.endpoint: must be scheme://host[:port]'))).toBe(true);
    expect(p.some((x) => x.startsWith('paths.0: set exactly one of prefix or regex'))).toBe(true);
  });

  it('checks cross references and templates once the shape is valid', () => {
    const p = problems({
      defaultBackend: 'ghost',
      backends: { a: { provider: 'openai' } },
      paths: [{ prefix: '/z', backend: 'missing' }, { regex: '([', backend: 'a' }, { prefix: '/t', backend: '$(header.x)' }],
      models: [{ match: 'gpt-*', backend: 'nobody' }],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        'defaultBackend: backend "ghost" is not configured',
        'paths.0.backend: backend "missing" is not configured',
        'models.0.backend: backend "nobody" is not configured',
      ]),
    );
    expect(p.some((x) => x.startsWith('paths.1.regex:'))).toBe(true);
    expect(p.some((x) => x.startsWith('paths.2.backend: unknown template'))).toBe(true);
  });

  it('pools: members must be configured backends, once each; pools share names with backends and can be selected anywhere a backend can', () => {
    const problems = (raw: unknown) => {
      try {
        parseConfigObject(raw);
        return [];
      } catch (err) {
        return (err as { problems?: string[] }).problems ?? [(err as Error).message];
      }
    };
    const a = { provider: 'openai', endpoint: 'http://127.0.0.1:9' };
    expect(problems({ backends: { a }, pools: { p: { backends: [{ backend: 'a' }, { backend: 'ghost' }] } } })).toEqual(['pools.p.backends.1.backend: backend "ghost" is not configured']);
    expect(problems({ backends: { a }, pools: { p: { backends: [{ backend: 'a' }, { backend: 'a' }] } } })).toEqual(['pools.p.backends.1.backend: backend "a" is already in this pool']);
    expect(problems({ backends: { a }, pools: { a: { backends: [{ backend: 'a' }] } } })).toEqual(['pools.a: a backend has this name; backends and pools share names']);
    expect(problems({ backends: { a }, pools: { p: { backends: [] } } })[0]).toMatch(/^pools\.p\.backends/);
    const ok = parseConfigObject({ backends: { a, b: a }, pools: { p: { backends: [{ backend: 'b', priority: 1 }, { backend: 'a' }] } }, defaultBackend: 'p', models: [{ match: 'x-*', backend: 'p' }], paths: [{ prefix: '/p', backend: 'p' }] });
    // Members sorted by priority: the first is the primary.
    expect(ok.pools.get('p')!.members.map((m) => m.backend.name)).toEqual(['a', 'b']);
  });

  it('clients: keys are SHA-256 hex or a secretRef, and allow lists name backends or pools that exist (globs aside)', () => {
    const a = { provider: 'openai', endpoint: 'http://127.0.0.1:9' };
    const attempt = (clients: unknown) => {
      try {
        parseConfigObject({ backends: { a }, clients });
        return [];
      } catch (err) {
        return (err as { problems?: string[] }).problems ?? [(err as Error).message];
      }
    };
    expect(attempt({ t: { keys: [{ sha256: 'abc' }] } })[0]).toMatch(/^clients\.t\.keys\.0/);
    expect(attempt({ t: { keys: [{ sha256: 'a'.repeat(64) }], allow: { backends: ['ghost'] } } })).toEqual(['clients.t.allow.backends: backend "ghost" is not configured']);
    expect(attempt({ t: { keys: [{ sha256: 'a'.repeat(64) }], allow: { backends: ['a*'], models: ['gpt-*'] } } })).toEqual([]);
    expect(attempt({ t: { keys: [] } })[0]).toMatch(/^clients\.t\.keys/);
    const cfg = parseConfigObject({ backends: { a }, clients: { t: { keys: [{ sha256: 'ab'.repeat(32) }] } } });
    expect(cfg.clients?.size).toBe(1);
    expect(parseConfigObject({ backends: { a } }).clients).toBeUndefined();
  });

  it('rejects unknown keys rather than ignoring a typo', () => {
    expect(problems({ backends: { a: { provider: 'openai', authtoken: {} } } })).toEqual([expect.stringContaining('backends.a')]);
    expect(problems({ defaultbackend: 'a' })[0]).toMatch(/defaultbackend/);
  });

  it('hostOverride moves where the request goes, keeping the scheme', () => {
    const cfg = parseConfigObject({ backends: { az: { provider: 'openai', hostOverride: 'apic.ocp.provider.com', pathOverride: '/my-openai-service/gpt35/chat/completions' } } });
    expect(cfg.backends.get('az')).toMatchObject({ scheme: 'https', host: 'apic.ocp.provider.com', port: 443, authority: 'apic.ocp.provider.com' });
    const local = parseConfigObject({ backends: { l: { provider: 'openai', endpoint: 'http://localhost:1', hostOverride: '127.0.0.1:8000' } } });
    expect(local.backends.get('l')).toMatchObject({ scheme: 'http', host: '127.0.0.1', port: 8000, authority: '127.0.0.1:8000' });
  });

  it('ports accept a unix socket for gRPC', () => {
    expect(parseConfigObject({ ports: { grpc: 'unix:/run/llm.sock' } }).ports.grpc).toBe('unix:/run/llm.sock');
    expect(problems({ ports: { grpc: 'tcp:1' } })[0]).toMatch(/^ports.grpc/);
  });

  it('redacts inline secrets in /config', () => {
    expect(redact({ backends: { a: { authToken: { kind: 'Inline', inline: 'sk-secret' } } } })).toEqual({ backends: { a: { authToken: { kind: 'Inline', inline: '[redacted]' } } } });
  });
});

describe('config from the environment (llm-extproc up without --config)', () => {
  it('defaults to a local Ollama with no keys', () => {
    const cfg = parseConfigObject(configFromEnv({}));
    expect(cfg.defaultBackend).toBe('ollama');
    expect(cfg.backends.get('ollama')).toMatchObject({ authority: '127.0.0.1:11434', scheme: 'http' });
  });

  it('the first key found is the default; OPENAI_BASE_URL and OLLAMA_HOST are honoured', () => {
    const cfg = parseConfigObject(configFromEnv({ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://localhost:8000/v1', OLLAMA_HOST: '0.0.0.0:11434' }));
    expect(cfg.defaultBackend).toBe('openai');
    expect(cfg.backends.get('openai')).toMatchObject({ authority: 'localhost:8000', scheme: 'http' });
    expect(cfg.backends.get('openai')!.keyAuth).toMatchObject({ kind: 'key' });
    expect(cfg.backends.get('ollama')!.authority).toBe('0.0.0.0:11434');
  });

  it.each([
    ['https://openrouter.ai/api/v1', 'openrouter.ai', '/api/v1'],
    ['https://api.groq.com/openai/v1/', 'api.groq.com', '/openai/v1'],
    ['http://localhost:8000/v1', 'localhost:8000', ''],
  ])('OPENAI_BASE_URL=%s keeps its path (%s, base %s)', (url, authority, basePath) => {
    const cfg = parseConfigObject(configFromEnv({ OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: url }));
    expect(cfg.backends.get('openai')).toMatchObject({ authority, basePath });
  });

  it('a base path is only for providers that take one', () => {
    expect(() => parseConfigObject({ backends: { a: { provider: 'anthropic', endpoint: 'https://x.example/api' } } })).toThrow(/backends\.a\.endpoint: provider anthropic takes no path/);
  });
});
