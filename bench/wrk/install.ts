// Finding wrk, the benchmark's load generator, and installing it from Debian's packages
// when it is missing: a C load generator costs a fraction of the CPU a Node one would take
// from the two cores Envoy, the processor and the upstream share.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Wrk {
  path: string;
  /** As `wrk -v` prints it, e.g. "debian/4.1.0-3+b2 [epoll]". */
  version: string;
}

const INSTALL_HINT = 'install wrk (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`) or put it on PATH';

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function aptGet(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // apt's progress goes to stderr: stdout is for the table.
    const child = spawn('apt-get', args, { stdio: ['ignore', process.stderr, process.stderr], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`apt-get ${args.join(' ')} failed (${signal ?? `code ${code}`}); ${INSTALL_HINT}`))));
  });
}

function version(path: string): Promise<string> {
  // `wrk -v` prints its version and usage, then exits 1.
  return new Promise((resolve) => {
    execFile(path, ['-v'], { encoding: 'utf8' }, (_err, stdout) => {
      resolve(/^wrk (.+?) Copyright/m.exec(stdout)?.[1]?.trim() ?? 'unknown');
    });
  });
}

/** wrk's path and version; installs it with apt-get when missing (root on Debian only). */
export async function ensureWrk(): Promise<Wrk> {
  let path = findOnPath('wrk');
  if (!path) {
    if (process.getuid?.() !== 0) throw new Error(`wrk is not on PATH and this is not root, so the bench cannot install it: ${INSTALL_HINT}`);
    if (!findOnPath('apt-get')) throw new Error(`wrk is not on PATH and there is no apt-get to install it with: ${INSTALL_HINT}`);
    process.stderr.write('wrk is not on PATH: installing it (apt-get update && apt-get install -y wrk)\n');
    await aptGet(['update']);
    await aptGet(['install', '-y', 'wrk']);
    path = findOnPath('wrk');
    if (!path) throw new Error(`apt-get installed wrk but it is still not on PATH (${process.env.PATH}); ${INSTALL_HINT}`);
  }
  return { path, version: await version(path) };
}
