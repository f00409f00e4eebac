#!/usr/bin/env node
// Writes schema/config.schema.json, the JSON Schema of the config file, from the zod schema
// in dist/ (run after `npm run build`). Editors use it through the examples'
// `# yaml-language-server: $schema=` line; a test checks it is current.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigFile } from '../dist/config/schema.js';

const schema = z.toJSONSchema(ConfigFile, { io: 'input', unrepresentable: 'any' });
const doc = {
  $schema: schema.$schema,
  $id: 'https://llm-extproc.dev/schema/config.schema.json',
  title: 'llm-extproc config',
  description: 'The llm-extproc config file (YAML or JSON). Generated from the zod schema; see docs/CONFIG.md.',
  ...schema,
};
writeFileSync(new URL('../schema/config.schema.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
