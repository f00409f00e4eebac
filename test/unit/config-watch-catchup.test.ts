// A config file that changes between the moment the process loaded it and the moment its
// watcher starts (a kubelet swap while the pod starts, an editor saving during startup) is
// still applied: the holder knows the text its config was made from and compares once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RuntimeConfig } from '../../src/config/compile.js';
import { ConfigHolder, readConfigFile } from '../../src/config/load.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const config = (names: string[]) => stringify({ backends: Object.fromEntries(names.map((n) => [n, { provider: 'openai', endpoint: 'http://127.0.0.1:9' }])) });

let holder: ConfigHolder | undefined;
afterEach(() => holder?.close());

function loaded(text: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'llm-extproc-catchup-')), 'config.yaml');
  writeFileSync(path, text);
  return { path, ...readConfigFile(path) };
}

describe('config watch: changes before the watch starts', () => {
  it('a file changed after loading is applied as soon as the watch starts, listeners included', async () => {
    const { path, cfg, text } = loaded(config(['first']));
    writeFileSync(path, config(['first', 'second']));
    holder = new ConfigHolder(cfg, path, text);
    const seen: RuntimeConfig[] = [];
    holder.watch(60_000); // no poll would come in time: only the catch-up can apply it
    holder.onReload((c) => seen.push(c));
    await sleep(50);
    expect(seen.map((c) => [...c.backends.keys()])).toEqual([['first', 'second']]);
    expect([...holder.current.backends.keys()]).toEqual(['first', 'second']);
  });

  it('an unchanged file reloads nothing', async () => {
    const { path, cfg, text } = loaded(config(['only']));
    holder = new ConfigHolder(cfg, path, text);
    let reloads = 0;
    holder.watch(60_000);
    holder.onReload(() => reloads++);
    await sleep(50);
    expect(reloads).toBe(0);
    expect(holder.current).toBe(cfg);
  });

  it('a broken file written meanwhile keeps the loaded config', async () => {
    const { path, cfg, text } = loaded(config(['kept']));
    writeFileSync(path, 'backends: [');
    holder = new ConfigHolder(cfg, path, text);
    let reloads = 0;
    holder.watch(60_000);
    holder.onReload(() => reloads++);
    await sleep(50);
    expect(reloads).toBe(0);
    expect([...holder.current.backends.keys()]).toEqual(['kept']);
  });
});
