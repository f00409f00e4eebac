// What the benchmark sends and what its fake upstream answers: an OpenAI chat request of
// about 1 KiB, a ~600 B chat completion with usage, and a ~10-chunk SSE stream (200 content
// chunks for LONG_STREAM_MODEL) that carries the usage chunk only when the request asked for
// it (stream_options.include_usage).

export const CHAT_PATH = '/v1/chat/completions';
export const MODEL = 'gpt-4o-mini';
/** Asking for this model gets a stream of LONG_STREAM_DELTAS content chunks: the per-chunk cost shows. */
export const LONG_STREAM_MODEL = 'gpt-4o-mini-long';
export const LONG_STREAM_DELTAS = 200;
/** The key the processor injects in (b) and (c); the upstream counts requests carrying it. */
export const BENCH_KEY = 'sk-bench-not-a-real-key';
export const REQUEST_BODY_BYTES = 1024;

const SYSTEM_PROMPT =
  'You are a concise assistant for an engineering team. Answer in plain English, cite the ' +
  'relevant configuration keys by name, and say so when you are not sure.';
const QUESTION =
  'Our gateway sits between the SDKs and several providers. Explain, in three short ' +
  'paragraphs, how the request body is buffered, how usage is counted for streamed ' +
  'responses, and what happens when the processor is unavailable. ';

/** A chat completions request body of exactly `bytes` bytes (the user message is padded). */
export function chatRequestBody(stream: boolean, bytes = REQUEST_BODY_BYTES, model = MODEL): string {
  const build = (pad: string) =>
    JSON.stringify({
      model,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: QUESTION + pad },
      ],
      temperature: 0.2,
      max_tokens: 256,
      ...(stream ? { stream: true } : {}),
    });
  const bare = Buffer.byteLength(build(''));
  if (bare > bytes) throw new Error(`request body is ${bare} bytes before padding, more than ${bytes}`);
  const filler = 'Context: the quick brown fox jumps over the lazy dog. ';
  return build(filler.repeat(Math.ceil((bytes - bare) / filler.length)).slice(0, bytes - bare));
}

const ANSWER =
  'The gateway buffers the request body in Envoy and hands it to the processor once, which ' +
  'picks the backend, injects the key and counts tokens. Streamed responses are read chunk ' +
  'by chunk; the usage chunk at the end carries the totals. Without the processor, Envoy ' +
  'fails closed and answers 500.';

export const USAGE = {
  prompt_tokens: 231,
  completion_tokens: 58,
  total_tokens: 289,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

/** A realistic non-streamed chat completion (~600 B of JSON). */
export function chatCompletionJson(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: ANSWER, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: USAGE,
    service_tier: 'default',
    system_fingerprint: 'fp_06737a9306',
  });
}

const STREAM_WORDS = ['The ', 'gateway ', 'buffers ', 'the ', 'request ', 'body ', 'in ', 'Envoy.'];

/**
 * The events of a streamed chat completion: role, 8 content deltas (or `deltas` of them),
 * finish, then the usage chunk when asked for, then [DONE].
 */
export function chatStreamEvents(model: string, withUsage: boolean, deltas = STREAM_WORDS.length): string[] {
  const words = Array.from({ length: deltas }, (_, i) => STREAM_WORDS[i % STREAM_WORDS.length]!);
  const base = { id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', object: 'chat.completion.chunk', created: 1741570283, model, service_tier: 'default', system_fingerprint: 'fp_06737a9306' };
  const usageNull = withUsage ? { usage: null } : {};
  const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const out = [ev({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...usageNull })];
  for (const w of words) out.push(ev({ ...base, choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }], ...usageNull }));
  out.push(ev({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...usageNull }));
  if (withUsage) out.push(ev({ ...base, choices: [], usage: { ...USAGE, completion_tokens: words.length, total_tokens: USAGE.prompt_tokens + words.length } }));
  out.push('data: [DONE]\n\n');
  return out;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * What a good response body looks like, checked on every response under load (by wrk's
 * Lua script, bench/wrk/post.lua, which gets these strings through its environment) and by
 * the preflight. Declarative so that both sides check exactly the same thing.
 */
export interface BodyShape {
  startsWith: string;
  endsWith?: string;
  includes: string[];
}

/** A chat completion that carries usage. */
export const COMPLETION_SHAPE: BodyShape = { startsWith: '{', includes: ['"chat.completion"', '"total_tokens"'] };
/** A stream read to its end. */
export const STREAM_SHAPE: BodyShape = { startsWith: 'data: ', endsWith: SSE_DONE, includes: [] };

export function bodyMatches(body: string, shape: BodyShape): boolean {
  return body.startsWith(shape.startsWith) && (shape.endsWith === undefined || body.endsWith(shape.endsWith)) && shape.includes.every((s) => body.includes(s));
}

/**
 * Events the processor reads in one LONG_STREAM_MODEL stream: it asks for the usage chunk,
 * so that one counts, and so does [DONE].
 */
export const LONG_STREAM_EVENTS = chatStreamEvents(LONG_STREAM_MODEL, true, LONG_STREAM_DELTAS).length;
