// Gemini's embedContent and batchEmbedContents as a client sends them, served by another
// provider's embeddings API (OpenAI and Azure OpenAI /embeddings, Bedrock's Titan, Vertex
// AI's :predict): the Gemini-dialect half every such translator shares. The request is read
// into texts and options, each refused (400 unsupported_field, in Google's error shape like
// the dialect's other errors) where the target cannot express it; vectors come back as
// `{"embedding": {"values": [...]}}` or `{"embeddings": [{"values": [...]}, ...]}`; upstream
// errors keep their status and get Google's error shape. The provider half (where the
// request goes, how the vectors and the input token count are read) is each subclass's.
import { googleErrorBody } from '../../dialects/gemini/index.js';
import { GatewayError } from '../../errors.js';
import type { Usage } from '../../usage/types.js';
import type { TranslationContext, UpstreamRequest } from '../types.js';
import { upstreamErrorMessage } from './body.js';
import { WholeAnswerTranslator } from './whole-answer.js';

export type GeminiEmbedMethod = 'embedContent' | 'batchEmbedContents';

/** One text to embed and what the client asked of it. */
export interface GeminiEmbedEntry {
  text: string;
  taskType?: string;
  title?: string;
  dimensions?: number;
}

export interface GeminiEmbedInput {
  method: GeminiEmbedMethod;
  /** The route's or backend's model, else the path's, without a `models/` prefix. */
  model: string;
  entries: GeminiEmbedEntry[];
  /** outputDimensionality, when every entry asks the same (targets take one per request). */
  dimensions?: number;
}

/** What a target's embeddings API can express beyond the texts. */
export interface GeminiEmbedTarget {
  /** "OpenAI's embeddings API", named in refusals. */
  api: string;
  taskType?: boolean;
  title?: boolean;
  dimensions?: boolean;
  /** Texts one request can carry (Titan embeds one). */
  maxTexts?: number;
}

const ENTRY_KEYS = new Set(['model', 'content', 'taskType', 'title', 'outputDimensionality']);
const METHOD = /:(embedContent|batchEmbedContents)$/;
const PATH_MODEL = /\/models\/([^/]+):[A-Za-z]+$/;

/** Reads and checks a Gemini embedding request (its JSON types were checked by the dialect's validator). */
export function readGeminiEmbed(ctx: TranslationContext, body: unknown, target: GeminiEmbedTarget): GeminiEmbedInput {
  const method = METHOD.exec(ctx.path)?.[1] as GeminiEmbedMethod | undefined;
  if (!method) throw new GatewayError('unsupported_endpoint', `backend "${ctx.backend.name}" cannot serve ${ctx.path}`);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_json', `a ${method} request needs a JSON body`);
  const b = body as Record<string, unknown>;
  let raw: { value: Record<string, unknown>; at: string }[];
  if (method === 'batchEmbedContents') {
    for (const key of Object.keys(b)) if (key !== 'requests' && b[key] !== undefined) unsupported(key, `${key} has no counterpart in ${target.api}`);
    const requests = b.requests;
    if (!Array.isArray(requests) || requests.length === 0) throw new GatewayError('invalid_request', 'requests must be a non-empty array', 'requests');
    raw = requests.map((r, i) => ({ value: r as Record<string, unknown>, at: `requests[${i}].` }));
  } else raw = [{ value: b, at: '' }];
  if (target.maxTexts !== undefined && raw.length > target.maxTexts) {
    unsupported('requests', `${target.api} take ${target.maxTexts} text per request; requests holds ${raw.length} (send them one by one)`);
  }
  const entries = raw.map(({ value, at }) => entry(value, at, target));
  const dims = new Set(entries.map((e) => e.dimensions));
  if (dims.size > 1) {
    const i = entries.findIndex((e) => e.dimensions !== entries[0]!.dimensions);
    unsupported(`requests[${i}].outputDimensionality`, `${target.api} takes one outputDimensionality per batch; every request must ask the same`);
  }
  const model = pathModel(ctx);
  const dimensions = entries[0]!.dimensions;
  return { method, model, entries, ...(dimensions !== undefined ? { dimensions } : {}) };
}

function entry(e: Record<string, unknown>, at: string, target: GeminiEmbedTarget): GeminiEmbedEntry {
  for (const key of Object.keys(e)) if (!ENTRY_KEYS.has(key) && e[key] !== undefined) unsupported(`${at}${key}`, `${at}${key} has no counterpart in ${target.api}`);
  const parts = (e.content as { parts?: unknown } | undefined)?.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw new GatewayError('invalid_request', 'content.parts must hold at least one text part', `${at}content.parts`);
  const texts = parts.map((p, i) => {
    const part = p as Record<string, unknown>;
    const extra = Object.keys(part).find((k) => k !== 'text');
    if (extra !== undefined || typeof part.text !== 'string') unsupported(`${at}content.parts[${i}]`, `${at}content.parts[${i}] is not text; only text is embedded through ${target.api}`);
    return part.text as string;
  });
  // Google embeds a content's parts as one text; so does the gateway, a line apart.
  const out: GeminiEmbedEntry = { text: texts.join('\n') };
  optional(e, 'taskType', at, target.taskType, target, (v) => (out.taskType = v as string));
  optional(e, 'title', at, target.title, target, (v) => {
    if (typeof v !== 'string') throw new GatewayError('invalid_request', 'title must be a string', `${at}title`);
    out.title = v;
  });
  optional(e, 'outputDimensionality', at, target.dimensions, target, (v) => (out.dimensions = v as number));
  return out;
}

function optional(e: Record<string, unknown>, key: string, at: string, served: boolean | undefined, target: GeminiEmbedTarget, set: (v: unknown) => void): void {
  const v = e[key];
  if (v === undefined || v === null) return;
  if (!served) unsupported(`${at}${key}`, `${at}${key} has no counterpart in ${target.api}`);
  set(v);
}

function pathModel(ctx: TranslationContext): string {
  let fromPath: string | undefined;
  const m = PATH_MODEL.exec(ctx.path)?.[1];
  if (m !== undefined) {
    try {
      fromPath = decodeURIComponent(m);
    } catch {
      fromPath = undefined; // the dialect refused a malformed escape before any translator ran
    }
  }
  const model = ctx.model ?? (fromPath !== '' ? fromPath : undefined);
  if (model === undefined) throw new GatewayError('missing_model', 'the request names no model, and neither does the backend or the route', 'model');
  return model.replace(/^models\//, '');
}

function unsupported(param: string, message: string): never {
  throw new GatewayError('unsupported_field', message, param);
}

/** The vectors (in the request's order) and input token usage the provider answered. */
export interface EmbedVectors {
  vectors: number[][];
  usage?: Usage;
}

/** Gemini's answer: one embedding, or one per request of a batch. */
export function geminiEmbedAnswer(method: GeminiEmbedMethod, vectors: number[][]): unknown {
  return method === 'embedContent' ? { embedding: { values: vectors[0] } } : { embeddings: vectors.map((values) => ({ values })) };
}

/** Input tokens counted by the provider, as usage (embeddings generate nothing). */
export function embedUsage(inputTokens: number | undefined): Usage | undefined {
  return inputTokens === undefined ? undefined : { inputTokens, outputTokens: 0, totalTokens: inputTokens };
}

/** The response half of every Gemini-dialect embeddings translator: errors in Google's shape, vectors checked and rewritten. */
export abstract class GeminiEmbedTranslator extends WholeAnswerTranslator {
  protected input: GeminiEmbedInput | undefined;
  private seenUsage: Usage = {};

  constructor(protected readonly ctx: TranslationContext) {
    super();
  }

  /** The vectors and usage of a 2xx upstream body. */
  protected abstract vectors(body: unknown): EmbedVectors;

  protected error(status: number, body: Buffer): Buffer {
    return Buffer.from(JSON.stringify(googleErrorBody(status, upstreamErrorMessage(status, body))));
  }

  protected rewrite(json: unknown): unknown {
    const input = this.input!;
    const { vectors, usage } = this.vectors(json);
    if (vectors.length !== input.entries.length || !vectors.every((v) => Array.isArray(v))) {
      throw new GatewayError('upstream_response_invalid', `the embeddings response holds ${vectors.length} vectors for ${input.entries.length} texts`);
    }
    if (usage) this.seenUsage = usage;
    return geminiEmbedAnswer(input.method, vectors);
  }

  override usage(): Usage {
    return this.seenUsage;
  }

  override responseModel(): string | undefined {
    return this.input?.model;
  }
}
