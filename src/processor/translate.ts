// A completions request made ready for one backend: its translator, the upstream request,
// and the header mutation that routes and authorises it. One code path for the router-level
// filter (a single backend) and the upstream filter (each attempt of a pool), so an attempt
// that falls back to another provider is translated and signed exactly as a direct request.
import type { CompiledBackend, RuntimeConfig } from '../config/compile.js';
import { renderOptions } from '../config/templates.js';
import { detectDialect } from '../dialects/index.js';
import type { DialectName, Operation } from '../dialects/types.js';
import { GatewayError } from '../errors.js';
import { headerSafe, MAX_MODEL_CHARS, type MutationBuilder } from '../extproc/headers.js';
import type { CommonResponse } from '../extproc/types.js';
import type { Translator, UpstreamRequest } from '../providers/types.js';
import { backendModel, type Selection } from '../routing/select.js';
import { upstreamHeaders } from './upstream.js';

export interface Plan {
  dialect: DialectName;
  operation: Operation;
  translator: Translator;
  up: UpstreamRequest;
}

/** The client's dialect and operation for a selection: from its path, or the backend's native one for a bare prefix. */
export function operationOf(sel: Selection, backend: CompiledBackend): { dialect: DialectName; operation: Operation } {
  const found = detectDialect(sel.path);
  if (found?.invalid) throw new GatewayError('invalid_request', found.invalid);
  if (found) return found;
  // Seed 001: a bare prefix (`/gemini`, `/openai`) is the backend's native chat endpoint.
  if (sel.path === '' || sel.path === '/') return { dialect: backend.provider.nativeDialect, operation: backend.provider.nativeOperation };
  throw new GatewayError('unsupported_endpoint', `${sel.path} is not an endpoint the gateway translates; mark it passthrough in the backend's routes`);
}

/** Picks the translator for the selected backend and builds the upstream request from the client's body. */
export function plan(sel: Selection, headers: ReadonlyMap<string, string>, body: Record<string, unknown> | undefined, raw: Buffer | undefined): Plan {
  const backend = sel.backend;
  // A pool member reads the request in the dialect of the pool's path, like its primary.
  const { dialect, operation } = operationOf(sel, backend);
  const options = renderOptions(backend.options, sel.values);
  if (sel.deployment !== undefined) options.deployment = sel.deployment;
  const translator = backend.provider.translator({
    backend,
    dialect,
    operation,
    path: sel.path,
    query: sel.query,
    model: sel.model ?? backendModel(sel),
    options,
    requestHeaders: headers,
  });
  if (!translator) {
    throw new GatewayError('unsupported_endpoint', `backend "${backend.name}" (${backend.provider.name}) cannot serve ${dialect} ${operation} requests at ${sel.path || '/'}`);
  }
  const up = translator.request(body, raw);
  // The model is echoed in x-llm-model: a value Envoy would refuse there must fail now, before the provider bills it.
  if (up.model !== undefined && !headerSafe(up.model)) {
    throw new GatewayError('invalid_request', `model: must be at most ${MAX_MODEL_CHARS} characters, without control characters`, 'model');
  }
  return { dialect, operation, translator, up };
}

/** Host, path, headers, body and credential for the planned request, as one reply to Envoy. */
export async function upstreamMutation(cfg: RuntimeConfig, sel: Selection, method: string, headers: ReadonlyMap<string, string>, p: Plan, raw: Buffer | undefined): Promise<CommonResponse> {
  const backend = sel.backend;
  const { up } = p;
  const mut = upstreamHeaders(cfg, backend, headers, up.path);
  // Translators and usage counting read response bodies: ask for them uncompressed.
  mut.removeHeader('accept-encoding');
  for (const name of up.removeHeaders ?? []) mut.removeHeader(name);
  for (const [k, v] of Object.entries(up.setHeaders ?? {})) mut.setHeader(k, v);
  const finalBody = up.body ?? raw;
  if (up.body) mut.setHeader('content-length', String(up.body.length));
  if (backend.authorizer) {
    const signed = await backend.authorizer.authorize({
      method,
      authority: backend.authority,
      path: backend.pathOverride ?? up.path,
      headers: upstreamView(headers, mut),
      body: finalBody,
    });
    for (const [k, v] of Object.entries(signed)) mut.setHeader(k, v);
  }
  return {
    header_mutation: mut.build(),
    ...(up.body ? { body_mutation: { body: up.body } } : {}),
    clear_route_cache: true,
  };
}

export function parseJson(raw: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GatewayError('invalid_json', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** Request headers as the upstream will see them, for signers. */
function upstreamView(headers: ReadonlyMap<string, string>, mut: MutationBuilder): Record<string, string> {
  const built = mut.build();
  const out: Record<string, string> = {};
  for (const [k, v] of headers) if (!k.startsWith(':')) out[k] = v;
  for (const k of built?.remove_headers ?? []) delete out[k];
  for (const s of built?.set_headers ?? []) if (!s.header.key.startsWith(':')) out[s.header.key] = Buffer.from(s.header.raw_value ?? []).toString();
  return out;
}
