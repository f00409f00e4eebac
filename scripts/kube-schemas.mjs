#!/usr/bin/env node
// Local JSON schemas for kubeconform, so the Helm chart's manifests are validated offline:
//   OUT_DIR/kubernetes/  Kubernetes' own strict schemas, from the kubernetes-validate wheel in
//                        .venv (`npm run setup` installs it), {kind}-{group}-{version}.json;
//   OUT_DIR/crds/        the CustomResourceDefinitions the chart uses (Gateway API, Envoy
//                        Gateway, Prometheus Operator), converted from their openAPIV3Schema
//                        into {kind}-{fullgroup}-{version}.json.
// The CRDs come from Go modules at pinned versions (`go mod download` puts their zips in the
// module cache: no other download), so the schemas follow exactly the API versions named
// here. Strict like the Kubernetes ones: every object that lists its properties rejects
// others, so a misspelt field fails validation instead of being dropped by the API server.
//   node scripts/kube-schemas.mjs OUT_DIR
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Kubernetes version whose schemas the wheel ships and the chart is validated against. */
export const KUBERNETES_VERSION = '1.37.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Module, version, and the CRD files inside it (the ones the chart renders, no more). */
export const CRD_SOURCES = [
  {
    module: 'sigs.k8s.io/gateway-api',
    version: 'v1.6.3',
    files: ['httproutes', 'backendtlspolicies', 'referencegrants'].map((n) => `config/crd/standard/gateway.networking.k8s.io_${n}.yaml`),
  },
  {
    module: 'github.com/envoyproxy/gateway',
    version: 'v1.9.1',
    files: [
      'envoyextensionpolicies',
      'clienttrafficpolicies',
      'backends',
      'httproutefilters',
      // Pools (docs/ENVOY-GATEWAY.md): retries per pool rule, the upstream filter patch.
      'backendtrafficpolicies',
      'envoypatchpolicies',
    ].map((n) => `charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_${n}.yaml`),
  },
  {
    // The main module carries the CRDs as example manifests; its API submodule does not.
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    files: ['example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml'],
  },
];

/** The module's directory in the Go module cache, downloading the zip when it is not there. */
export function moduleDir(module, version) {
  const r = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', cwd: '/' });
  if (r.error) throw new Error(`go not found (${r.error.message}): the CRD schemas come from Go modules`);
  let info;
  try {
    info = JSON.parse(r.stdout);
  } catch {
    throw new Error(`go mod download ${module}@${version} failed: ${r.stderr.trim()}`);
  }
  if (info.Error || !info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

/** OpenAPI v3 (Kubernetes' structural subset) -> JSON Schema draft 4/7 that kubeconform reads. */
function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // CEL rules and the API server's list/map hints mean nothing to a JSON Schema validator.
    if (k === 'x-kubernetes-validations' || k === 'description') continue;
    out[k] = k === 'properties' || k === 'patternProperties' || k === 'definitions' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s)])) : toJsonSchema(v);
  }
  if (out['x-kubernetes-int-or-string']) {
    // The API server takes either; type: string alone would reject `port: 443` style values.
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    delete out.nullable;
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/** The wheel's strict schemas, made loadable from files: each names itself https://kubernetes.io/api/…
 * and refers to /api/_definitions.json, which a file loader would fetch from that host. */
function kubernetesSchemas(outDir) {
  const python = process.env.KUBE_SCHEMAS_PYTHON ?? join(root, '.venv', 'bin', 'python');
  // Found without importing it: only its data files are used (setup installs it --no-deps).
  const find = "import importlib.util as u; s = u.find_spec('kubernetes_validate'); print(s.submodule_search_locations[0])";
  const r = spawnSync(python, ['-c', find], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the kubernetes-validate wheel is not in .venv (npm run setup installs it): ${r.stderr?.trim() || r.error?.message}`);
  const src = join(r.stdout.trim(), 'kubernetes-json-schema', `v${KUBERNETES_VERSION}-local-strict`);
  if (!existsSync(src)) throw new Error(`kubernetes-validate has no schemas for Kubernetes ${KUBERNETES_VERSION} (${src})`);
  mkdirSync(outDir, { recursive: true });
  let n = 0;
  for (const name of readdirSync(src)) {
    if (!name.endsWith('.json')) continue;
    const schema = JSON.parse(readFileSync(join(src, name), 'utf8'));
    delete schema.$id;
    const text = JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#');
    writeFileSync(join(outDir, name), text);
    n++;
  }
  return n;
}

/** Every CRD module in the Go module cache (setup runs this before `npm ci` may have run: no yaml here). */
export function downloadModules() {
  for (const src of CRD_SOURCES) moduleDir(src.module, src.version);
}

export async function convert(outDir) {
  // The project's own YAML parser, loaded only here: setup imports this file before node_modules may exist.
  const { parseAllDocuments } = await import('yaml');
  const k8s = kubernetesSchemas(join(outDir, 'kubernetes'));
  outDir = join(outDir, 'crds');
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const src of CRD_SOURCES) {
    const dir = moduleDir(src.module, src.version);
    for (const file of src.files) {
      const path = join(dir, file);
      if (!existsSync(path)) throw new Error(`${src.module}@${src.version} has no ${file}`);
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const crd = doc.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        const { group, names } = crd.spec;
        for (const v of crd.spec.versions) {
          const schema = toJsonSchema(v.schema.openAPIV3Schema);
          // The root lists apiVersion/kind/metadata/spec/status; metadata stays open (ObjectMeta).
          const name = `${names.kind}-${group}-${v.name}.json`.toLowerCase();
          writeFileSync(join(outDir, name), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }) + '\n');
          written.push(name);
        }
      }
    }
  }
  writeFileSync(join(outDir, 'SOURCES'), CRD_SOURCES.map((s) => `${s.module}@${s.version}`).join('\n') + '\n');
  return { kubernetes: k8s, crds: written };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node scripts/kube-schemas.mjs OUT_DIR');
    process.exit(2);
  }
  try {
    const n = await convert(out);
    console.error(`kube-schemas: ${n.kubernetes} Kubernetes ${KUBERNETES_VERSION} and ${n.crds.length} CRD schemas in ${out}`);
  } catch (err) {
    console.error(`kube-schemas: ${err.message}`);
    process.exit(1);
  }
}
