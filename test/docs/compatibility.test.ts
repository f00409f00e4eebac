// docs/COMPATIBILITY.md is generated from the golden fixtures: it must be exactly what the
// generator prints for the fixtures in this tree, so no cell is claimed without a fixture and
// no fixture goes unlisted. `node scripts/gen-compat.mjs --write` regenerates it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, PAGE, render } from '../../scripts/gen-compat.mjs';

describe('docs/COMPATIBILITY.md', () => {
  it('is what scripts/gen-compat.mjs makes from test/fixtures (regenerate with --write)', () => {
    expect(readFileSync(PAGE, 'utf8')).toBe(render());
  });

  it('counts only what a fixture proves: a refusal is no claim, a dropped marker is no claim', () => {
    const base = { request: { path: '/v1/messages', body: { model: 'm', messages: [], tools: [{ name: 't', input_schema: {} }], cache_control: { type: 'ephemeral' } } } };
    // Refused: nothing.
    expect(classify('anthropic', '/nonexistent', { ...base, expectError: { status: 400, code: 'unsupported_field' } }).features).toEqual([]);
    expect(classify('anthropic', '/nonexistent', { ...base, response: { status: 429, body: {} } }).features).toEqual([]);
    // Served, but the cache marker never reaches the provider and no cached token comes back: tools only.
    const served = { ...base, response: { status: 200, body: {} }, expectUpstream: { body: { messages: [] } } };
    expect(classify('anthropic', '/nonexistent', served)).toEqual({ op: 'Messages', features: ['plain', 'tools'] });
    // The marker carried upstream (as Bedrock's cachePoint, say): caching.
    const carried = { ...served, expectUpstream: { body: { system: [{ text: 's' }, { cachePoint: { type: 'default' } }] } } };
    expect(classify('anthropic', '/nonexistent', carried).features).toContain('caching');
    // A Gemini stream is named by its path.
    const gemini = { request: { path: '/v1beta/models/g:streamGenerateContent', body: {} }, response: { status: 200, body: {} }, expectUsage: { reasoning_tokens: 5 } };
    expect(classify('gemini', '/nonexistent', gemini)).toEqual({ op: 'generateContent', features: ['stream', 'reasoning'] });
  });
});
