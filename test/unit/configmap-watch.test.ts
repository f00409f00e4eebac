// The processor's file watchers under a Kubernetes volume update: the config (a ConfigMap) and
// file secrets (a Secret) are read through `name -> ..data/name`, and the kubelet replaces the
// file by swapping the `..data` symlink to a new directory. The watcher must follow the path,
// not the old inode, or a ConfigMap change never reaches the processor (nor Envoy's live files).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { closeSecretWatchers, secretFrom } from '../../src/auth/secrets.js';
import type { RuntimeConfig } from '../../src/config/compile.js';
import { ConfigHolder, loadConfigFile } from '../../src/config/load.js';
import { logger } from '../../src/logger.js';
import { kubeletWrite } from '../helpers/kubelet-volume.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const config = (names: string[]) => stringify({ backends: Object.fromEntries(names.map((n) => [n, { provider: 'openai', endpoint: 'http://127.0.0.1:9' }])) });

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

let holder: ConfigHolder | undefined;
afterEach(() => {
  holder?.close();
  closeSecretWatchers();
});

describe('file watchers follow a kubelet ..data symlink swap', () => {
  it('the config holder reloads each swapped ConfigMap, and keeps its config over a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-cm-'));
    const path = join(dir, 'config.yaml');
    kubeletWrite(dir, { 'config.yaml': config(['aaa']) });
    holder = new ConfigHolder(loadConfigFile(path), path);
    const seen: RuntimeConfig[] = [];
    holder.onReload((c) => seen.push(c));
    holder.watch(50);
    // watchFile takes its first stat asynchronously: a swap before it would be its baseline.
    await sleep(200);

    // Same length as before: only the new inode behind the path tells the change apart.
    kubeletWrite(dir, { 'config.yaml': config(['bbb']) });
    await until('the first swap', () => seen.length === 1);
    expect([...holder.current.backends.keys()]).toEqual(['bbb']);

    const errors: unknown[] = [];
    const original = logger.error.bind(logger);
    logger.error = ((...args: unknown[]) => void errors.push(args)) as typeof logger.error;
    try {
      kubeletWrite(dir, { 'config.yaml': 'backends: [not: a config' });
      await until('the rejection', () => errors.length > 0);
    } finally {
      logger.error = original;
    }
    expect([...holder.current.backends.keys()]).toEqual(['bbb']);

    kubeletWrite(dir, { 'config.yaml': config(['bbb', 'ccc']) });
    await until('the third swap', () => seen.length === 2);
    expect([...holder.current.backends.keys()]).toEqual(['bbb', 'ccc']);
  });

  it('a file secret is re-read when its Secret volume is swapped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-secret-'));
    kubeletWrite(dir, { openai: 'sk-one' });
    const secret = secretFrom({ file: join(dir, 'openai') }, 50);
    expect(secret.value()).toBe('sk-one');
    await sleep(200);
    kubeletWrite(dir, { openai: 'sk-two' });
    await until('the rotated key', () => secret.value() === 'sk-two');
  });

  it('a key the Secret gains after the config named it is read once the kubelet writes it', async () => {
    // One `helm upgrade` adding a backend and its key: the kubelet updates the two volumes
    // separately, so the config may name a file that is not there yet.
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-secret-'));
    kubeletWrite(dir, { openai: 'sk-one' });
    const warn = logger.warn;
    logger.warn = (() => undefined) as typeof logger.warn;
    let secret;
    try {
      secret = secretFrom({ file: join(dir, 'fresh') }, 50);
    } finally {
      logger.warn = warn;
    }
    expect(secret.value()).toBeUndefined();
    await sleep(200);
    kubeletWrite(dir, { openai: 'sk-one', fresh: 'sk-fresh' });
    await until('the new key', () => secret.value() === 'sk-fresh');
  });
});
