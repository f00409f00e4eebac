// The Responses API answers the gateway writes for providers that do not speak it (Claude,
// Bedrock, Gemini, Vertex AI) checked against the Open Responses specification's own models
// (PyPI's openresponses-types, generated from its OpenAPI document; installed into .venv by
// setup), strictly: every response object and every streamed event of every such golden
// fixture. The golden test proves the gateway writes exactly these bytes, so a fixture that
// passes here is an answer that conforms. The specification's compliance runner itself is
// published only on GitHub, out of CI's reach; its checks are the schema ones made here,
// plus "has output" and "completed", which the fixtures assert. OpenAI's and Azure's own
// answers pass through as the provider wrote them and are not checked.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../src/usage/sse.js';
import { runPython } from '../e2e/observe.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const CHECK = join(import.meta.dirname, 'open_responses.py');
const TRANSLATED = ['anthropic', 'bedrock', 'gemini', 'vertexai'];

interface Checked {
  name: string;
  checked: number;
  errors: string[];
}

interface SpecObject {
  label: string;
  kind: 'response' | 'event';
  value: unknown;
}

/** A fixture's client answer as the objects the specification has models for. */
function objects(dir: string, expectClient: { body?: unknown; bodyFile?: string }): SpecObject[] {
  if (!expectClient.bodyFile) return [{ label: 'response', kind: 'response', value: expectClient.body }];
  const text = readFileSync(join(dir, expectClient.bodyFile), 'utf8');
  if (expectClient.bodyFile.endsWith('.json')) return [{ label: 'response', kind: 'response', value: JSON.parse(text) }];
  return new SseParser()
    .push(Buffer.from(`${text}\n\n`))
    .flatMap((e) => (e.data === undefined ? [] : [JSON.parse(e.data) as { type?: string }]))
    .map((value, i) => ({ label: `event ${i} ${value.type}`, kind: 'event' as const, value }));
}

function cases(): { name: string; objects: SpecObject[] }[] {
  const out: { name: string; objects: SpecObject[] }[] = [];
  for (const provider of TRANSLATED) {
    const pair = join(FIXTURES, `openai-${provider}`);
    for (const name of readdirSync(pair)) {
      const file = join(pair, name, 'case.json');
      if (!existsSync(file)) continue;
      const c = JSON.parse(readFileSync(file, 'utf8')) as { request: { method?: string; path: string }; expectClient?: { status?: number; body?: unknown; bodyFile?: string } };
      if ((c.request.method ?? 'POST') !== 'POST' || c.request.path.split('?')[0] !== '/v1/responses') continue;
      const e = c.expectClient;
      // Refusals are errors in OpenAI's error shape, not Responses objects.
      if (!e || (e.status ?? 200) >= 300) continue;
      out.push({ name: `openai-${provider}/${name}`, objects: objects(join(pair, name), e) });
    }
  }
  return out;
}

const all = cases();
let results: Map<string, Checked>;

beforeAll(async () => {
  const out = await runPython(CHECK, [], 60_000, JSON.stringify(all));
  results = new Map(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Checked)
      .map((r) => [r.name, r]),
  );
}, 90_000);

describe('Responses answers written by the gateway conform to the Open Responses specification', () => {
  it('checks plain and streamed answers of every translated provider', () => {
    for (const p of TRANSLATED) {
      const mine = all.filter((c) => c.name.startsWith(`openai-${p}/`));
      expect(mine.some((c) => c.objects[0]?.kind === 'response'), `${p}: a plain answer`).toBe(true);
      expect(mine.some((c) => c.objects.some((o) => (o.value as { type?: string }).type === 'response.output_text.delta')), `${p}: a streamed answer`).toBe(true);
    }
    expect(results.size).toBe(all.length);
  });

  it.each(all.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const r = results.get(name)!;
    expect(r.checked).toBe(c.objects.length);
    expect(r.errors, r.errors.slice(0, 12).join('\n')).toEqual([]);
  });
});
