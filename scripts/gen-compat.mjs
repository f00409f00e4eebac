#!/usr/bin/env node
// docs/COMPATIBILITY.md from the golden fixtures (test/fixtures/<dialect>-<provider>/<case>/):
// what each client dialect can do against each provider, every claim linked to the fixture
// that proves it. Only fixtures that succeed count (a refusal proves the refusal, not the
// feature). test/unit/compatibility.test.ts fails when the committed page is not what this
// prints, so a new fixture (or a removed one) shows up in the page in the same change.
//   node scripts/gen-compat.mjs            prints the page
//   node scripts/gen-compat.mjs --write    writes docs/COMPATIBILITY.md
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(root, 'test', 'fixtures');
export const PAGE = join(root, 'docs', 'COMPATIBILITY.md');

const DIALECTS = [
  { name: 'openai', title: 'OpenAI' },
  { name: 'anthropic', title: 'Anthropic Messages' },
  { name: 'gemini', title: 'Gemini (native)' },
];
const PROVIDERS = ['openai', 'azureopenai', 'anthropic', 'bedrock', 'gemini', 'vertexai'];
const FEATURES = ['plain', 'stream', 'tools', 'reasoning', 'caching'];

/** The operation a client path names, as the rows of the page. */
function operation(dialect, method, path) {
  const p = path.split('?')[0];
  if (dialect === 'openai') {
    if (/\/responses\/input_tokens$/.test(p)) return 'Responses: input_tokens';
    if (/\/responses\/compact$/.test(p)) return 'Responses: compact';
    if (/\/responses\/[^/]+/.test(p) || (method && method !== 'POST' && /\/responses$/.test(p))) return 'Responses: stored (retrieve, delete, cancel, input_items)';
    if (/\/responses$/.test(p)) return 'Responses';
    if (p.endsWith('/chat/completions')) return 'Chat Completions';
    if (p.endsWith('/completions')) return 'Completions (legacy)';
    if (p.endsWith('/embeddings')) return 'Embeddings';
    if (/\/models(\/|$)/.test(p)) return 'Models';
  }
  if (dialect === 'anthropic') {
    if (p.endsWith('/messages/count_tokens')) return 'count_tokens';
    if (p.endsWith('/messages')) return 'Messages';
  }
  if (dialect === 'gemini') {
    const m = /:([A-Za-z]+)$/.exec(p)?.[1];
    if (m === 'generateContent' || m === 'streamGenerateContent') return 'generateContent';
    if (m === 'countTokens') return 'countTokens';
    if (m === 'embedContent' || m === 'batchEmbedContents') return 'embedContent';
  }
  return 'other';
}

const ok = (status) => status === undefined || (status >= 200 && status < 300);

/** What the client must get back (the fixture's expectation), as text. */
function clientText(dir, c) {
  const e = c.expectClient;
  if (!e) return '';
  if (e.unchanged) return upstream(dir, c);
  if (e.bodyFile) return readFileSync(join(dir, e.bodyFile), 'utf8');
  return e.body === undefined ? '' : JSON.stringify(e.body);
}

function upstream(dir, c) {
  if (!c.response) return '';
  if (c.response.bodyFile) return readFileSync(join(dir, c.response.bodyFile), 'utf8');
  return c.response.body === undefined ? '' : JSON.stringify(c.response.body);
}

// Tools: what the client sent or gets back, never the gateway's own means (a JSON answer that
// Bedrock is asked for as a tool call is not a tools case), nor a default (every Responses API
// object says "tool_choice": "auto"). Reasoning and caching: what reaches
// the provider (the upstream request the fixture expects) or comes back to the client, so a
// marker the gateway accepts and drops is no claim.
const TOOLS = /"(tools|functionDeclarations)"\s*:\s*\[\s*\{|"(tool_calls|tool_choice|toolConfig)"\s*:\s*([[{]|"(?!auto"|none"))|"type"\s*:\s*"(tool_use|tool_result|function_call|function_call_output)"|"role"\s*:\s*"tool"|"(functionCall|functionResponse)"\s*:/;
const REASONING = /"(reasoning_effort|thinkingConfig|reasoningConfig)"\s*:|"thinking"\s*:\s*\{\s*"type"\s*:\s*"(enabled|adaptive)"|"reasoning"\s*:\s*\{\s*"effort"\s*:\s*"|"type"\s*:\s*"(thinking|redacted_thinking|reasoning)"|"thought"\s*:\s*true|"(reasoning_tokens|thoughtsTokenCount)"\s*:\s*[1-9]|"reasoningContent"\s*:|response\.reasoning/;
const CACHE = /"(cache_control|cachePoint|cachedContent)"\s*:|"(cache_read_input_tokens|cache_creation_input_tokens|cachedContentTokenCount|cached_tokens|cacheReadInputTokens|cacheWriteInputTokens)"\s*:\s*[1-9]/;

/** What one fixture proves: its row and the features it exercises (none when it is a refusal). */
export function classify(dialect, dir, c) {
  const op = operation(dialect, c.request.method, c.request.path);
  // The gateway's own answer (a token count it estimates where the provider has no API for it).
  if (c.expectLocal) return { op, features: ok(c.expectLocal.status) ? ['plain'] : [] };
  // The operation itself refused for this provider (it has no such API): shown where nothing else is.
  if (c.expectError?.status === 404 && c.expectError.code === 'unsupported_endpoint') return { op, features: [], refused: true };
  if (c.expectError || !c.response || !ok(c.response.status) || !ok(c.expectClient?.status)) return { op, features: [] };
  const sent = JSON.stringify(c.request.body ?? {});
  const upstreamRequest = c.expectUpstream?.body === undefined ? '' : JSON.stringify(c.expectUpstream.body);
  const answer = clientText(dir, c);
  const usage = c.expectUsage ?? {};
  const streamed = c.request.body?.stream === true || /:streamGenerateContent/.test(c.request.path);
  const features = [streamed ? 'stream' : 'plain'];
  if (TOOLS.test(sent) || TOOLS.test(answer)) features.push('tools');
  if (REASONING.test(upstreamRequest) || REASONING.test(answer) || usage.reasoning_tokens > 0) features.push('reasoning');
  if (CACHE.test(upstreamRequest) || CACHE.test(answer) || usage.cached_input_tokens > 0 || usage.cache_write_input_tokens > 0) features.push('caching');
  return { op, features };
}

/** cells[dialect][op][provider][feature] = the first fixture (by name) proving it. */
export function collect() {
  const cells = {};
  const pairs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => /^[a-z]+-[a-z]+$/.test(d)).sort() : [];
  for (const pair of pairs) {
    const [dialect, provider] = pair.split('-');
    for (const name of readdirSync(join(FIXTURES, pair)).sort()) {
      const dir = join(FIXTURES, pair, name);
      if (!existsSync(join(dir, 'case.json'))) continue;
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const { op, features, refused } = classify(dialect, dir, c);
      const cell = (((cells[dialect] ??= {})[op] ??= {})[provider] ??= {});
      for (const f of features) cell[f] ??= `${pair}/${name}`;
      if (refused) cell.refused ??= `${pair}/${name}`;
    }
  }
  return cells;
}

function cellText(cell) {
  const proved = FEATURES.filter((f) => cell?.[f]);
  if (!proved.length) return cell?.refused ? `[not served: 404](../test/fixtures/${cell.refused}/)` : '—';
  return proved.map((f) => `[${f}](../test/fixtures/${cell[f]}/)`).join(' · ');
}

export function render(cells = collect()) {
  const out = [
    '# Compatibility: client dialects × providers',
    '',
    '<!-- Generated by `node scripts/gen-compat.mjs --write` from test/fixtures; a test fails when this page is stale. Do not edit. -->',
    '',
    'Each cell lists what the golden fixtures prove for that client dialect and operation against',
    'that provider, each linked to the fixture: **plain** (a whole answer), **stream**, **tools**',
    '(tool definitions, calls or results), **reasoning** (thinking / reasoning content or',
    'reasoning tokens), **caching** (cache markers carried, or cached tokens counted). A fixture',
    'is a client request, the upstream request the gateway must send, the provider\'s recorded-shape',
    'answer and what the client must get back; streams are also fed split at 1, 7 and 64 bytes.',
    'Only fixtures that succeed count: a request the provider cannot serve is a `400',
    'unsupported_field` or `404 unsupported_endpoint` in the client\'s shape, and is not a claim.',
    '**not served: 404** links the fixture showing the provider has no such API: the client gets',
    '`404 unsupported_endpoint` in its own shape. — means no fixture proves anything there yet.',
    '',
  ];
  for (const d of DIALECTS) {
    const ops = cells[d.name];
    if (!ops) continue;
    out.push(`## ${d.title} clients`, '');
    out.push(`| operation | ${PROVIDERS.join(' | ')} |`, `|---|${PROVIDERS.map(() => '---').join('|')}|`);
    for (const op of Object.keys(ops).sort()) {
      if (PROVIDERS.every((p) => !FEATURES.some((f) => ops[op][p]?.[f]))) continue;
      out.push(`| ${op} | ${PROVIDERS.map((p) => cellText(ops[op][p])).join(' | ')} |`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const page = render();
  if (process.argv.includes('--write')) writeFileSync(PAGE, page);
  else process.stdout.write(page);
}
