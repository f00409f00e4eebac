// `GET /v1/models` on a completions route is answered by the gateway from config: the
// models each backend offers (its `models`, else its pinned `model`). A request that
// selected a backend sees that backend's; one that fell to the default sees them all.
import type { RuntimeConfig } from '../config/compile.js';
import type { Selection } from '../routing/select.js';
import { GatewayError } from '../errors.js';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

const STARTED = Math.floor(Date.now() / 1000);

export function modelsResponse(cfg: RuntimeConfig, sel: Selection): unknown {
  const backends = sel.source === 'default' ? [...cfg.backends.values()] : [sel.backend];
  const seen = new Set<string>();
  const data: ModelObject[] = [];
  for (const b of backends) {
    for (const id of b.listModels) {
      if (seen.has(id)) continue;
      seen.add(id);
      data.push({ id, object: 'model', created: STARTED, owned_by: b.name });
    }
  }
  const one = /\/models\/([^/]+)$/.exec(sel.path);
  if (one) {
    let id: string;
    try {
      id = decodeURIComponent(one[1]!);
    } catch {
      throw new GatewayError('invalid_request', `the model in the path (${one[1]!.slice(0, 100)}) has a malformed %-escape`, 'model');
    }
    const found = data.find((m) => m.id === id);
    if (!found) throw new GatewayError('model_not_found', `model "${id}" is not offered by this gateway`, 'model');
    return found;
  }
  return { object: 'list', data };
}
