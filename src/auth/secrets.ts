// Secret values from the environment or from files. File secrets are re-read when the
// file changes (polled, so Kubernetes' symlink swaps of mounted secrets are seen).
// Values never leave this module except to the code that places them on a request.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { logger } from '../logger.js';

export type SecretSource = { env: string } | { file: string };

export interface Secret {
  /** The current value, or undefined when the variable is unset / the file unreadable. */
  value(): string | undefined;
  /** Where it comes from, safe to log. */
  readonly describe: string;
}

const files = new Map<string, { value: string | undefined; refs: number }>();

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    logger.warn({ file: path, err: (err as NodeJS.ErrnoException).code }, 'secret file unreadable');
    return undefined;
  }
}

export function secretFrom(source: SecretSource, pollMs = 1000): Secret {
  if ('env' in source) {
    return { describe: `env ${source.env}`, value: () => process.env[source.env] || undefined };
  }
  const path = source.file;
  let entry = files.get(path);
  if (!entry) {
    entry = { value: readSecretFile(path), refs: 0 };
    files.set(path, entry);
    const e = entry;
    watchFile(path, { interval: pollMs, persistent: false }, (curr, prev) => {
      // Node reports a missing file once with zeroed stats: nothing changed then.
      if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino) return;
      e.value = readSecretFile(path);
      logger.info({ file: path }, 'secret file changed, re-read');
    });
  }
  entry.refs++;
  const e = entry;
  return { describe: `file ${path}`, value: () => e.value };
}

/** Why a secret would be empty here, in plain words (for `check`); undefined when it has a value. Reads without watching. */
export function missingSecret(source: SecretSource, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ('env' in source) return env[source.env] ? undefined : `environment variable ${source.env} is not set here`;
  try {
    return readFileSync(source.file, 'utf8').trim() ? undefined : `file ${source.file} is empty`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `file ${source.file} does not exist here` : `file ${source.file} cannot be read (${code})`;
  }
}

/** Stops watching every secret file (shutdown, tests). */
export function closeSecretWatchers(): void {
  for (const path of files.keys()) unwatchFile(path);
  files.clear();
}
