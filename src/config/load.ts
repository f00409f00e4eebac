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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigProblems([`${path}: ${(err as Error).message}`]);
  }
  return parseConfigText(text, path);
}

/** Holds the live config; swaps it atomically when the watched file changes and validates. */
export class ConfigHolder {
  private listeners: ((cfg: RuntimeConfig) => void)[] = [];
  private lastText: string | undefined;

  constructor(
    private cfg: RuntimeConfig,
    private readonly path?: string,
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
    try {
      this.lastText = readFileSync(path, 'utf8');
    } catch {
      /* reported by the first reload attempt */
    }
    watchFile(path, { interval: intervalMs, persistent: false }, () => this.reload());
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
    logger.info({ file: this.path, backends: [...this.cfg.backends.keys()] }, 'config reloaded');
    for (const fn of this.listeners) fn(this.cfg);
    return true;
  }

  close(): void {
    if (this.path) unwatchFile(this.path);
  }
}
