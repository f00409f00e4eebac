// Vertex AI's resource paths: every model lives under
// /v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}.
// Gemini models take the Gemini API's methods there; Anthropic's take rawPredict.
import { GatewayError } from '../../errors.js';
import { type GeminiTarget, modelSegment } from '../gemini/target.js';

export type Publisher = 'google' | 'anthropic';
export const PUBLISHERS = ['google', 'anthropic'] as const;

/** The regional host, or the global one for location "global". */
export function vertexEndpoint(options: Record<string, unknown>): string {
  const location = options.location;
  if (typeof location === 'string' && location.includes('$(')) {
    // The host depends on the location, and the endpoint is fixed at config load.
    throw new Error('location is templated: set endpoint to the regional host the rendered locations share');
  }
  return location === 'global' || typeof location !== 'string' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

function option(options: Record<string, unknown>, key: 'projectId' | 'location'): string {
  const v = options[key];
  // Checked by the schema; a template can still render to something a path cannot hold.
  if (typeof v !== 'string' || v === '' || /[/?#]/.test(v)) throw new GatewayError('template_value_missing', `the backend's ${key} is not usable in a Vertex AI path`, key);
  return encodeURIComponent(v);
}

export function modelPath(options: Record<string, unknown>, publisher: Publisher, model: string): string {
  return `/v1/projects/${option(options, 'projectId')}/locations/${option(options, 'location')}/publishers/${publisher}/models/${modelSegment(model)}`;
}

/** Which publisher serves a model: the backend's `publisher`, else Claude models are Anthropic's. */
export function publisherOf(options: Record<string, unknown>, model: string): Publisher {
  if (options.publisher === 'google' || options.publisher === 'anthropic') return options.publisher;
  return model.startsWith('claude') ? 'anthropic' : 'google';
}

export function vertexGeminiTarget(options: Record<string, unknown>): GeminiTarget {
  return {
    path: (model, method) => `${modelPath(options, 'google', model)}:${method}`,
    embedModelName: (model) => `${modelPath(options, 'google', model).slice(1)}`,
    jsonSchemaField: 'responseJsonSchema',
    // Vertex embeds through :predict (see embeddings.ts), not the Gemini API's embed methods.
    methods: new Set(['generateContent', 'streamGenerateContent', 'countTokens']),
    countTokensBody: (req) => req,
  };
}
