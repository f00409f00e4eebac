// Token counts for when a provider reports none (a server without usage, a stream cut
// short): tiktoken with the encoding of the model's family, marked as estimated.
// Encoders load lazily (hundreds of ms) and only when an estimate is needed.
import type { Tiktoken } from 'tiktoken';
import { lazyModule } from '../lazy.js';
import type { Usage } from './types.js';

type EncodingName = 'o200k_base' | 'cl100k_base';
const encoders = new Map<EncodingName, Tiktoken>();
const tiktoken = lazyModule<typeof import('tiktoken')>('tiktoken');

/** o200k for GPT-4o and later OpenAI families; cl100k for GPT-4/3.5 and as the approximation for everything else. */
export function encodingFor(model: string | undefined): EncodingName {
  const m = (model ?? '').toLowerCase().replace(/^.*\//, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/.test(m)) return 'o200k_base';
  return 'cl100k_base';
}

export function countTokens(text: string, model: string | undefined): number {
  if (text === '') return 0;
  const name = encodingFor(model);
  let enc = encoders.get(name);
  if (!enc) {
    enc = tiktoken().get_encoding(name);
    encoders.set(name, enc);
  }
  return enc.encode_ordinary(text).length;
}

const TEXT_KEYS = new Set(['content', 'text', 'system', 'instructions', 'input', 'prompt', 'arguments', 'name', 'description', 'systemInstruction']);

/** Every string a model reads in a request body, whatever the dialect (messages, contents, tools…). */
export function promptText(body: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown, key: string | undefined) => {
    if (typeof v === 'string') {
      if (key !== undefined && TEXT_KEYS.has(key)) out.push(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        // Image/audio payloads are not text: counting base64 would wildly overestimate.
        if (k === 'image_url' || k === 'inlineData' || k === 'source' || k === 'input_audio' || k === 'data') continue;
        walk(x, typeof x === 'string' ? k : TEXT_KEYS.has(k) ? k : undefined);
      }
    }
  };
  walk(body, undefined);
  return out.join('\n');
}

/** The texts to count where the provider reported no figure (input from the request, output from the answer). */
export interface Uncounted {
  input?: string;
  output?: string;
}

export function uncounted(reported: Usage, request: unknown, output: string | undefined): Uncounted | undefined {
  const gaps: Uncounted = {};
  if (reported.inputTokens === undefined && request !== undefined) gaps.input = promptText(request);
  if (reported.outputTokens === undefined && output !== undefined) gaps.output = output;
  return gaps.input === undefined && gaps.output === undefined ? undefined : gaps;
}

/** The reported usage with the counted gaps filled in, marked estimated when anything was counted. */
export function withEstimates(reported: Usage, counts: { input?: number; output?: number }): Usage {
  const u = { ...reported };
  let estimated = reported.estimated === true;
  if (counts.input !== undefined) {
    u.inputTokens = counts.input;
    estimated = true;
  }
  if (counts.output !== undefined) {
    u.outputTokens = counts.output;
    estimated = true;
  }
  if (estimated) {
    u.totalTokens = (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
    u.estimated = true;
  }
  return u;
}

/** Fills what the provider did not report, counting here and now. */
export function completeUsage(reported: Usage, request: unknown, output: string | undefined, model: string | undefined): Usage {
  const gaps = uncounted(reported, request, output);
  if (!gaps) return reported.estimated ? withEstimates(reported, {}) : { ...reported };
  const count = (text: string | undefined) => (text === undefined ? undefined : countTokens(text, model));
  return withEstimates(reported, { input: count(gaps.input), output: count(gaps.output) });
}
