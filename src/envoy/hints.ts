// Per-route settings from Envoy's own config: ExtProcPerRoute grpc_initial_metadata
// (x-llm-backend, x-llm-model, x-llm-route-type) and route metadata namespace
// `llm_extproc` sent through the filter's request_attributes.
import { RouteType } from '../config/schema.js';
import { METADATA_NAMESPACE } from './metadata-keys.js';
import type { EnvoyHints } from '../routing/select.js';
import type { Struct } from '../extproc/types.js';
import { fromStruct } from '../extproc/struct.js';
import { parseMetadataText } from './textproto.js';

export { METADATA_NAMESPACE };

const ROUTE_TYPES: ReadonlySet<RouteType> = new Set(RouteType.options);

/** Route metadata repeats per route: its text is read once (bounded, in case every route differs). */
const textCache = new Map<string, Record<string, Record<string, unknown>>>();
const TEXT_CACHE_MAX = 1024;

function metadataFromText(text: string): Record<string, Record<string, unknown>> {
  let parsed = textCache.get(text);
  if (!parsed) {
    parsed = parseMetadataText(text);
    if (textCache.size >= TEXT_CACHE_MAX) textCache.clear();
    textCache.set(text, parsed);
  }
  return parsed;
}

function pick(obj: Record<string, unknown>): EnvoyHints {
  const hints: EnvoyHints = {};
  if (typeof obj.backend === 'string' && obj.backend) hints.backend = obj.backend;
  if (typeof obj.model === 'string' && obj.model) hints.model = obj.model;
  // Checked against the enum's values: a failed zod parse builds an error per request.
  if (ROUTE_TYPES.has(obj.routeType as RouteType)) hints.routeType = obj.routeType as RouteType;
  if (obj.backendConfig && typeof obj.backendConfig === 'object') hints.backendConfig = obj.backendConfig;
  return hints;
}

/** Finds the llm_extproc route metadata in the attributes, whichever attribute expression carried it. */
function fromAttributes(attributes: Record<string, Struct> | undefined): EnvoyHints {
  for (const perFilter of Object.values(attributes ?? {})) {
    for (const [expr, value] of Object.entries(fromStruct(perFilter))) {
      if (!expr.includes('route_metadata') || !value) continue;
      // Envoy renders the Metadata message as protobuf text; a Struct is accepted too.
      const v = (typeof value === 'string' ? { filter_metadata: metadataFromText(value) } : value) as Record<string, unknown>;
      if (typeof v !== 'object') continue;
      const fm = v.filter_metadata as Record<string, unknown> | undefined;
      const ns = (fm?.[METADATA_NAMESPACE] ?? v[METADATA_NAMESPACE] ?? v) as Record<string, unknown>;
      const hints = pick(ns);
      if (Object.keys(hints).length > 0) return hints;
    }
  }
  return {};
}

export function envoyHints(metadata: ReadonlyMap<string, string>, attributes: Record<string, Struct> | undefined): EnvoyHints {
  const attr = fromAttributes(attributes);
  // grpc_initial_metadata is the more specific (per-route filter override): it wins per key.
  const meta = pick({
    backend: metadata.get('x-llm-backend'),
    model: metadata.get('x-llm-model'),
    routeType: metadata.get('x-llm-route-type'),
  });
  return { ...attr, ...meta };
}
