// Reading a config file (YAML or JSON), validating it, and watching it for changes.
// A new file that fails validation leaves the running config in place, and says why.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { logger } from '../logger.js';
import { ConfigProblems, compileConfig, formatIssues, rawReferenceProblems, type RuntimeConfig } from './compile.js';
import { ConfigFile } from './schema.js';

export function parseConfigText(text: string, source = 'config'): RuntimeConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigProblems([`${source}: not valid YAML or JSON: ${(err as Error).message}`]);
  }
  return parseConfigObject(raw);
}

export function parseConfigObject(raw: unknown): RuntimeConfig {
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error);
    for (const p of rawReferenceProblems(raw)) if (!problems.includes(p)) problems.push(p);
    throw new ConfigProblems(problems);
  }
  return compileConfig(parsed.data);
}

export function loadConfigFile(path: string): RuntimeConfig {
  return readConfigFile(path).cfg;
}

/** The config and the text it was made from (what a watcher compares later changes with). */
export function readConfigFile(path: string): { cfg: RuntimeConfig; text: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigProblems([`${path}: ${(err as Error).message}`]);
  }
  return { cfg: parseConfigText(text, path), text };
}

/** Holds the live config; swaps it atomically when the watched file changes and validates. */
export class ConfigHolder {
  private listeners: ((cfg: RuntimeConfig) => void)[] = [];
  private lastText: string | undefined;

  constructor(
    private cfg: RuntimeConfig,
    private readonly path?: string,
    /** The file's text the config was made from, when the caller read it: changes since then are caught up at watch(). */
    private readonly loadedText?: string,
  ) {}

  get current(): RuntimeConfig {
    return this.cfg;
  }

  onReload(fn: (cfg: RuntimeConfig) => void): void {
    this.listeners.push(fn);
  }

  /** Polls the file (robust to editors' rename-and-replace and to Kubernetes ConfigMap symlink swaps). */
  watch(intervalMs = 500): void {
    if (!this.path) return;
    const path = this.path;
    if (this.loadedText !== undefined) {
      this.lastText = this.loadedText;
    } else {
      try {
        this.lastText = readFileSync(path, 'utf8');
      } catch {
        /* reported by the first reload attempt */
      }
    }
    watchFile(path, { interval: intervalMs, persistent: false }, () => this.reload());
    // The poll's baseline is taken now: a change since the config was loaded (a kubelet swap
    // while the process started, say) would go unseen until the next one. Compare once, after
    // the caller has registered its reload listeners.
    if (this.loadedText !== undefined) setImmediate(() => this.reload());
  }

  reload(): boolean {
    if (!this.path) return false;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      logger.error({ file: this.path, err: (err as Error).message }, 'config reload failed: file unreadable; keeping the running config');
      return false;
    }
    if (text === this.lastText) return false;
    this.lastText = text;
    try {
      this.cfg = parseConfigText(text, this.path);
    } catch (err) {
      const problems = err instanceof ConfigProblems ? err.problems : [(err as Error).message];
      logger.error({ file: this.path, problems }, 'config reload rejected; keeping the running config');
      return false;
    }
    this.announce();
    return true;
  }

  private announce(): void {
    logger.info({ file: this.path, backends: [...this.cfg.backends.keys()] }, 'config reloaded');
    for (const fn of this.listeners) fn(this.cfg);
  }

  close(): void {
    if (this.path) unwatchFile(this.path);
  }
}
