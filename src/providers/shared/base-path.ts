// A backend endpoint's base path (only providers with `basePath` take one: OpenAI-compatible
// servers behind a path) stands for the API's `/v1`, as it does in the SDKs' base URLs:
// `https://openrouter.ai/api/v1` + `/v1/chat/completions` -> `/api/v1/chat/completions`.
import type { BackendRuntime } from '../types.js';

export function withBasePath(backend: BackendRuntime, path: string): string {
  if (!backend.basePath) return path;
  return backend.basePath + path.replace(/^\/v1(?=\/|$|\?)/, '');
}
