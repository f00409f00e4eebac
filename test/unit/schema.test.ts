// The JSON Schema shipped in schema/: generated from the zod schema (and current), named by
// every example's `yaml-language-server` line, and every example passes it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigFile } from '../../src/config/schema.js';

const ROOT = join(import.meta.dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'config.schema.json'), 'utf8')) as Record<string, unknown>;
const examples = [
  ...readdirSync(join(ROOT, 'deploy', 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join('deploy', 'examples', f)),
  join('deploy', 'compose', 'config.yaml'),
];
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

describe('schema/config.schema.json', () => {
  it('is what the zod schema generates (npm run build && npm run gen:schema)', () => {
    const fresh = z.toJSONSchema(ConfigFile, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const { $id: _id, title: _t, description: _d, ...committed } = schema;
    expect(committed).toEqual(fresh);
  });

  it.each(examples)('%s names the schema and passes it', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/config.schema.json');
    const ok = validate(parse(text));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects what the config loader rejects', () => {
    expect(validate({ backends: { a: { provider: 'openai', endpiont: 'http://x' } } })).toBe(false);
    expect(validate({ backends: { a: { provider: 'nope' } } })).toBe(false);
    expect(validate({ listen: { host: '' } })).toBe(false);
  });
});
