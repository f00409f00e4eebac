// Realistic OpenAI response bodies and streams for the fake upstreams.
export function chatCompletion(model: string, content = 'Hello from the fake upstream!', usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 }) {
  return {
    id: 'chatcmpl-AEHYs2B0XUlEioCduH1meERmMwBGF',
    object: 'chat.completion',
    created: 1727967462,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { ...usage, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    system_fingerprint: 'fp_e2e',
  };
}

export function chatStream(model: string, words: string[], withUsage: boolean): string[] {
  const base = { id: 'chatcmpl-stream-1', object: 'chat.completion.chunk', created: 1727967470, model, system_fingerprint: 'fp_e2e' };
  const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const out = [ev({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...(withUsage ? { usage: null } : {}) })];
  for (const w of words) out.push(ev({ ...base, choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }], ...(withUsage ? { usage: null } : {}) }));
  out.push(ev({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...(withUsage ? { usage: null } : {}) }));
  if (withUsage) out.push(ev({ ...base, choices: [], usage: { prompt_tokens: 11, completion_tokens: words.length, total_tokens: 11 + words.length, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 0 } } }));
  out.push('data: [DONE]\n\n');
  return out;
}

export const embeddings = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, 0.015797347] }],
  model: 'text-embedding-ada-002',
  usage: { prompt_tokens: 5, total_tokens: 5 },
};

export const modelsList = {
  object: 'list',
  data: [
    { id: 'gpt-4o-mini', object: 'model', created: 1686935002, owned_by: 'openai' },
    { id: 'text-embedding-ada-002', object: 'model', created: 1671217299, owned_by: 'openai-internal' },
  ],
};

import type { Recorded, Reply } from './harness.js';

/** An OpenAI-compatible server: answers chat (plain or SSE, usage chunk when asked), embeddings, models. */
export function openaiLike(label: string) {
  return (req: Recorded): Reply => {
    const path = req.url.split('?')[0]!;
    if (path.endsWith('/chat/completions')) {
      const body = JSON.parse(req.body.toString() || '{}') as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
      const model = `${body.model ?? 'unknown'}-served`;
      if (body.stream) return { sse: chatStream(model, ['Hel', 'lo ', 'from ', label], body.stream_options?.include_usage === true), delayMs: 5 };
      return { json: chatCompletion(model, `Hello from ${label}`) };
    }
    if (path.endsWith('/embeddings')) return { json: embeddings };
    if (path.endsWith('/models')) return { json: modelsList };
    return { json: { label, path: req.url } };
  };
}
