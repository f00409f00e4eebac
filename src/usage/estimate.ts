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

const TEXT_KEYS = new Set(['content', 'text', 'system', 'input', 'prompt', 'arguments', 'name', 'description', 'systemInstruction']);

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

/** Fills what the provider did not report; marks the result estimated when anything was counted. */
export function completeUsage(reported: Usage, request: unknown, output: string | undefined, model: string | undefined): Usage {
  const u = { ...reported };
  let estimated = reported.estimated === true;
  if (u.inputTokens === undefined && request !== undefined) {
    u.inputTokens = countTokens(promptText(request), model);
    estimated = true;
  }
  if (u.outputTokens === undefined && output !== undefined) {
    u.outputTokens = countTokens(output, model);
    estimated = true;
  }
  if (estimated) {
    u.totalTokens = (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
    u.estimated = true;
  }
  return u;
}
