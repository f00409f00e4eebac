// Where Gemini-shaped requests go. AI Studio and Vertex AI speak the same
// GenerateContent wire format at different paths, so every Gemini translator takes
// a GeminiTarget instead of building paths itself.
import { GatewayError } from '../../errors.js';
import type { GenerateContentRequest } from '../../dialects/gemini/types.js';
import type { TranslationContext } from '../types.js';

export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'embedContent' | 'batchEmbedContents' | 'countTokens';

export interface GeminiTarget {
  /** Upstream path, without query, that runs `method` on `model`. */
  path(model: string, method: GeminiMethod): string;
  /** How a batch embedding request names its model ("models/x" on AI Studio). */
  embedModelName(model: string): string;
  /**
   * Where an OpenAI json_schema goes: `responseJsonSchema` takes JSON Schema as is
   * (v1beta, Vertex); `responseSchema` takes only Gemini's OpenAPI subset (v1).
   */
  jsonSchemaField: 'responseJsonSchema' | 'responseSchema';
  /** The methods this target serves from the Gemini dialect. */
  methods: ReadonlySet<GeminiMethod>;
  /**
   * A countTokens body for a translated request: AI Studio counts system instructions and
   * tools only inside `generateContentRequest`; Vertex takes them at the top level.
   */
  countTokensBody(req: GenerateContentRequest, model: string): unknown;
}

export const GEMINI_API_VERSIONS = ['v1', 'v1beta'] as const;

/** Google AI Studio: `/{apiVersion}/models/{model}:{method}`. */
export function aiStudioTarget(options: Record<string, unknown>): GeminiTarget {
  const version = typeof options.apiVersion === 'string' ? options.apiVersion : 'v1beta';
  return {
    path: (model, method) => `/${version}/models/${modelSegment(model)}:${method}`,
    embedModelName: (model) => `models/${model}`,
    jsonSchemaField: version === 'v1' ? 'responseSchema' : 'responseJsonSchema',
    methods: new Set(['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents', 'countTokens']),
    countTokensBody: (req, model) => ({ generateContentRequest: { model: `models/${model}`, ...req } }),
  };
}

/** A model id as one path segment: escaped, except `@` which Vertex ids carry (claude-x@20250101). */
export function modelSegment(model: string): string {
  return encodeURIComponent(model).replace(/%40/g, '@');
}

/** Clients name models "gemini-x", "models/gemini-x" or a Vertex resource path: keep the id. */
export function bareModel(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

/** The model a request runs on: the route's or backend's wins over the client's. */
export function requireModel(ctx: TranslationContext, fromClient: unknown, param = 'model'): string {
  const model = ctx.model ?? (typeof fromClient === 'string' && fromClient !== '' ? fromClient : undefined);
  if (model === undefined) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', param);
  return bareModel(model);
}

/**
 * The query for the upstream: the client's, minus an API key (`key=` is how some
 * Gemini clients send theirs: the gateway's credential replaces it), plus
 * `alt=sse` for streams so Google answers in SSE rather than one JSON array.
 */
export function upstreamQuery(clientQuery: string, stream: boolean): string {
  const q = new URLSearchParams(clientQuery);
  q.delete('key');
  if (stream) q.set('alt', 'sse');
  const s = q.toString();
  return s ? `?${s}` : '';
}
