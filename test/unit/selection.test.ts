import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../../src/config/load.js';
import { routeTypeFor, type RequestFacts, selectByModel, selectWithoutBody } from '../../src/routing/select.js';
import { compileTemplate } from '../../src/config/templates.js';
import { GatewayError } from '../../src/errors.js';

const cfg = parseConfigObject({
  selectorHeader: 'aigw-backend-selector',
  defaultBackend: 'dflt',
  backends: {
    dflt: { provider: 'openai' },
    openai: { provider: 'openai', routes: { '/v1/chat/completions': 'completions', '/v1/embeddings': 'passthrough', '*': 'passthrough' } },
    ollama: { provider: 'openai', endpoint: 'http://127.0.0.1:11434' },
    mistral: { provider: 'openai', endpoint: 'https://api.mistral.ai' },
  },
  paths: [
    { prefix: '/openai', backend: 'openai' },
    { regex: '^/(?<provider>mistral|ollama)/(?<model>[^/?#]+)/chat/completions$', backend: '$(uri_captures.provider)', model: '$(uri_captures.model)', rewrite: '/v1/chat/completions' },
    { regex: '^/raw/openai/(?<op_path>[^?#]+)', backend: 'openai', routeType: 'passthrough', rewrite: '/$(uri_captures.op_path)' },
    { prefix: '/q', backend: '$(query_params.b)' },
  ],
  models: [{ match: 'mistral-*', backend: 'mistral' }, { match: 'llama?.?', backend: 'ollama' }],
});

const facts = (path: string, headers: Record<string, string> = {}, query = ''): RequestFacts => ({ method: 'POST', path, query, headers: new Map(Object.entries(headers)) });

describe('selection order', () => {
  it('Envoy route config beats the selector header, which beats paths', () => {
    const f = facts('/openai/v1/chat/completions', { 'aigw-backend-selector': 'ollama' });
    expect(selectWithoutBody(cfg, f, { backend: 'mistral', model: 'pinned' }, true)).toMatchObject({ source: 'envoy', backend: { name: 'mistral' }, model: 'pinned' });
    expect(selectWithoutBody(cfg, f, {}, true)).toMatchObject({ source: 'header', backend: { name: 'ollama' } });
    expect(selectWithoutBody(cfg, facts('/openai/v1/chat/completions'), {}, true)).toMatchObject({ source: 'path', backend: { name: 'openai' }, path: '/v1/chat/completions' });
  });

  it('a prefix matches whole segments only', () => {
    expect(selectWithoutBody(cfg, facts('/openaix/v1/chat/completions'), {}, false)).toMatchObject({ source: 'default' });
    expect(selectWithoutBody(cfg, facts('/openai'), {}, false)).toMatchObject({ source: 'path', path: '' });
  });

  it('regex captures template the backend, model and rewrite (seed 002)', () => {
    const s = selectWithoutBody(cfg, facts('/mistral/mistral-large/chat/completions'), {}, true);
    expect(s).toMatchObject({ backend: { name: 'mistral' }, model: 'mistral-large', path: '/v1/chat/completions' });
    const raw = selectWithoutBody(cfg, facts('/raw/openai/v1/audio/transcriptions'), {}, true);
    expect(raw).toMatchObject({ path: '/v1/audio/transcriptions', routeType: 'passthrough' });
  });

  it('models rules need the body; without rules or body the default applies', () => {
    expect(selectWithoutBody(cfg, facts('/v1/chat/completions'), {}, true)).toBe('needs-body');
    expect(selectWithoutBody(cfg, facts('/v1/models'), {}, false)).toMatchObject({ source: 'default', backend: { name: 'dflt' } });
    expect(selectByModel(cfg, facts('/v1/chat/completions'), 'mistral-small')).toMatchObject({ source: 'model', backend: { name: 'mistral' } });
    expect(selectByModel(cfg, facts('/v1/chat/completions'), 'llama3.2')).toMatchObject({ backend: { name: 'ollama' } });
    expect(selectByModel(cfg, facts('/v1/chat/completions'), 'llama3.21')).toMatchObject({ source: 'default' });
    expect(selectByModel(cfg, facts('/v1/chat/completions'), undefined)).toMatchObject({ source: 'default' });
  });

  it('nothing selected and no default is a 404 backend_not_found', () => {
    const noDefault = parseConfigObject({ backends: { a: { provider: 'openai' } } });
    expect(() => selectWithoutBody(noDefault, facts('/v1/chat/completions'), {}, false)).toThrow(expect.objectContaining({ code: 'backend_not_found', status: 404 }));
    expect(() => selectWithoutBody(cfg, facts('/x', { 'aigw-backend-selector': 'ghost' }), {}, false)).toThrow(/ghost/);
  });

  it('query-param templates; a missing value is template_value_missing naming the key', () => {
    expect(selectWithoutBody(cfg, facts('/q/v1/chat/completions', {}, 'b=ollama'), {}, true)).toMatchObject({ backend: { name: 'ollama' } });
    try {
      selectWithoutBody(cfg, facts('/q/v1/chat/completions'), {}, true);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('template_value_missing');
      expect((err as GatewayError).param).toBe('query_params.b');
    }
  });
});

describe('route types (seed 000)', () => {
  const rt = (path: string) => routeTypeFor(selectWithoutBody(cfg, facts(path), {}, true) as never);
  it('ordered suffix match, * for anything, completions by default', () => {
    expect(rt('/openai/v1/chat/completions')).toBe('completions');
    expect(rt('/openai/v1/embeddings')).toBe('passthrough');
    expect(rt('/openai/v1/models')).toBe('passthrough');
    expect(routeTypeFor(selectWithoutBody(cfg, facts('/v1/chat/completions', { 'aigw-backend-selector': 'ollama' }), {}, true) as never)).toBe('completions');
  });
  it('an explicit route type wins over the map', () => {
    expect(routeTypeFor(selectWithoutBody(cfg, facts('/openai/v1/chat/completions'), { backend: 'openai', routeType: 'passthrough' }, true) as never)).toBe('passthrough');
  });
});

describe('templates', () => {
  const values = { headers: new Map([['x-model', 'gpt-4o']]), captures: { deployment: 'my-gpt-4' }, query: new URLSearchParams('v=2024-10-21') };
  it('renders all three sources and literal text around them', () => {
    expect(compileTemplate('/openai/deployments/$(uri_captures.deployment)/chat?api-version=$(query_params.v)').render(values)).toBe('/openai/deployments/my-gpt-4/chat?api-version=2024-10-21');
    expect(compileTemplate('$(headers.X-Model)').render(values)).toBe('gpt-4o');
    expect(compileTemplate('plain').isStatic).toBe(true);
  });
  it('a missing value throws template_value_missing', () => {
    expect(() => compileTemplate('$(headers.x-absent)').render(values)).toThrow(expect.objectContaining({ code: 'template_value_missing', param: 'headers.x-absent' }));
  });
});
