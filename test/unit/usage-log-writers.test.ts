// The usage log with several writers on one pipe (serve --workers: every worker writes the
// inherited stdout): batched writes stay whole lines, never cut by another process's write.
// Runs the built logger (dist/, made by `npm test`'s pretest) in four processes at once whose
// stdout is one real pipe (a shell pipeline; Node's own child stdio is a socketpair), read in
// small pieces so that the pipe is often full, where a write larger than PIPE_BUF is split.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LOGGER = pathToFileURL(join(ROOT, 'dist', 'logger.js')).href;
const WRITERS = 4;
const LINES = 3000;

// Lines of 100 to 1,600 bytes, some non-ASCII: batches fill up to the byte limit at odd places.
const writer = `
const { usageLogger } = await import(${JSON.stringify(LOGGER)});
const id = process.argv[2];
for (let i = 0; i < ${LINES}; i++) {
  usageLogger.info({ requestId: id + '-' + i, requestModel: 'modèle-ü', pad: 'x'.repeat(100 + ((i * 37) % 1500)) }, 'usage');
  if (i % 200 === 0) await new Promise((r) => setImmediate(r));
}`;

it('four processes writing usage lines to one pipe: every line arrives whole', async () => {
  const script = join(mkdtempSync(join(tmpdir(), 'llm-extproc-usage-')), 'writer.mjs');
  writeFileSync(script, writer);
  const each = Array.from({ length: WRITERS }, (_, w) => `"$0" "$1" w${w} &`).join(' ');
  const child = spawn('sh', ['-c', `(${each} wait) | dd bs=512 status=none`, process.execPath, script], { env: { ...process.env, LOG_LEVEL: 'info' } });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
  expect(lines).toHaveLength(WRITERS * LINES);
  const cut = lines.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  expect(cut).toEqual([]);
  const ids = new Set(lines.map((l) => (JSON.parse(l) as { requestId: string }).requestId));
  expect(ids.size).toBe(WRITERS * LINES);
}, 60_000);
