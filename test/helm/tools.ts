// Helm, kubeconform and the local schemas the chart tests need. `npm run setup` installs the
// tools into .tools/bin and the kubernetes-validate wheel into .venv; the schemas are made
// fresh for each run by scripts/kube-schemas.mjs (Go module cache, no network once warm).
// With CI=true anything missing fails the tests: no cluster can run here, so this
// validation is the only proof the manifests would apply.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { packageRoot } from '../../src/envoy/find.js';
import { convert, KUBERNETES_VERSION } from '../../scripts/kube-schemas.mjs';

export const requireTools = process.env.CI === 'true';
export const chartDir = join(packageRoot(), 'deploy', 'helm', 'llm-extproc');
export const kubernetesVersion: string = KUBERNETES_VERSION;

function tool(name: string, env: string): string | undefined {
  const path = process.env[env] ?? join(packageRoot(), '.tools', 'bin', name);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export const helm = tool('helm', 'HELM_BIN');
export const kubeconform = tool('kubeconform', 'KUBECONFORM_BIN');
export const missingTools = [helm ? '' : 'helm', kubeconform ? '' : 'kubeconform'].filter(Boolean);
export const skipHelm = missingTools.length > 0 && !requireTools;
if (skipHelm) console.warn(`[test/helm] skipping chart tests: ${missingTools.join(', ')} not in .tools/bin (npm run setup installs them)`);

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; spec?: any; [k: string]: any };

/** `helm template` with these values; throws with helm's message when it refuses. */
export function render(values: object, opts: { namespace?: string; release?: string } = {}): Manifest[] {
  if (!helm) throw new Error(`helm not found in .tools/bin (CI=true: required)`);
  const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-helm-'));
  const file = join(dir, 'values.yaml');
  writeFileSync(file, stringify(values));
  // go-installed helm assumes Kubernetes 1.20 without version ldflags; name the one validated against.
  const args = ['template', opts.release ?? 'gw', chartDir, '-n', opts.namespace ?? 'llm', '--kube-version', kubernetesVersion, '-f', file];
  const r = spawnSync(helm, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m != null);
}

/** `helm lint --strict` (a warning fails) with these --set flags; returns its output and whether it passed. */
export function lint(sets: string[] = []): { ok: boolean; output: string } {
  if (!helm) throw new Error(`helm not found in .tools/bin (CI=true: required)`);
  const r = spawnSync(helm, ['lint', '--strict', '--kube-version', kubernetesVersion, chartDir, ...sets.flatMap((x) => ['--set', x])], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

let schemaDir: Promise<string> | undefined;
/** The schemas, made once per test file (about 2 s). */
export function schemas(): Promise<string> {
  schemaDir ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-extproc-schemas-'));
    await convert(dir);
    return dir;
  })();
  return schemaDir;
}

export interface Conformance {
  summary: { valid: number; invalid: number; errors: number; skipped: number };
  resources: { kind: string; name: string; status: string; msg?: string }[];
}

/** kubeconform -strict over the manifests against the local schemas only (a missing schema is an error). */
export async function conform(manifests: Manifest[]): Promise<Conformance> {
  if (!kubeconform) throw new Error(`kubeconform not found in .tools/bin (CI=true: required)`);
  const dir = await schemas();
  const input = manifests.map((m) => stringify(m)).join('---\n');
  const r = spawnSync(
    kubeconform,
    [
      '-strict',
      '-summary',
      '-output', 'json',
      '-verbose',
      '-schema-location', join(dir, 'kubernetes', '{{.ResourceKind}}{{.KindSuffix}}.json'),
      '-schema-location', join(dir, 'crds', '{{.ResourceKind}}-{{.Group}}-{{.ResourceAPIVersion}}.json'),
      '-',
    ],
    { input, encoding: 'utf8' },
  );
  try {
    return JSON.parse(r.stdout) as Conformance;
  } catch {
    throw new Error(`kubeconform gave no report (exit ${r.status}): ${r.stderr}`);
  }
}
