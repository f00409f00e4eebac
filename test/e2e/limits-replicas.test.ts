// Limits across replicas: two complete gateways (Envoy + processor each) behind no shared
// state but one ratelimit service and one Redis. One principal with 2,000 tokens a minute is
// driven through both at once, with plain and streamed requests of 100 tokens each: what is
// admitted stays within the limit plus at most one request's worth per replica, the next
// request is a 429 in its dialect with retry-after, and another principal is unaffected.
import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { type RatelimitService, type Running, startRatelimit, startRedis } from '../../src/ratelimit/local.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const MESSAGES = [{ role: 'user' as const, content: 'Hello!' }];
const X = 'gk-replicas-x-01';
const Y = 'gk-replicas-y-02';
const Z = 'gk-replicas-z-03';
const LIMIT = 2000;
const PER_REQUEST = 100;

let redis: Running;
let ratelimit: RatelimitService;
let upstream: FakeUpstream;
const replicas: Gateway[] = [];

beforeAll(async () => {
  redis = await startRedis();
  ratelimit = await startRatelimit(redis.port);
  // 100 tokens per answer, plain or streamed (11 prompt + 89 words).
  upstream = await startFakeUpstream((req) =>
    (JSON.parse(req.body.toString()) as { stream?: boolean }).stream
      ? { sse: chatStream('gpt-4o-mini', Array.from({ length: 89 }, () => 'w '), true) }
      : { json: chatCompletion('gpt-4o-mini', 'ok', { prompt_tokens: 60, completion_tokens: 40, total_tokens: PER_REQUEST }) },
  );
  const config = {
    backends: { openai: { provider: 'openai', endpoint: upstream.url, authToken: { kind: 'Inline', inline: 'sk-up' } } },
    defaultBackend: 'openai',
    clients: { x: { keys: [{ sha256: sha(X) }] }, y: { keys: [{ sha256: sha(Y) }] }, z: { keys: [{ sha256: sha(Z) }] } },
    rateLimits: {
      service: { address: ratelimit.grpcAddress, configDir: ratelimit.configDir },
      rules: [{ clients: ['*'], tokens: { count: 'total', limit: LIMIT, per: 'minute' } }],
    },
  };
  for (let i = 0; i < 2; i++) replicas.push(await startGateway(config));
}, 90_000);

afterAll(async () => {
  for (const g of replicas) await g.stop();
  await upstream?.close();
  await ratelimit?.stop();
  await redis?.stop();
});

/** One client per replica, one request at a time, alternating plain and streamed, until refused. */
async function drive(gw: Gateway, key = X): Promise<{ admitted: number; refused: InstanceType<typeof OpenAI.APIError> }> {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  let admitted = 0;
  for (let i = 0; i < 100; i++) {
    try {
      if (i % 2) {
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: MESSAGES });
        for await (const c of stream) if (c.usage) admitted += c.usage.total_tokens;
      } else {
        admitted += (await client.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })).usage!.total_tokens;
      }
    } catch (e) {
      return { admitted, refused: e as InstanceType<typeof OpenAI.APIError> };
    }
  }
  throw new Error('the limit never applied');
}

/** Fixed windows: start with time to spare in this minute, so one window covers the run. */
async function freshMinute(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200));
}

it('a 2,000-token-per-minute limit holds across two replicas, plain and streamed', async () => {
  await freshMinute();
  const [a, b] = await Promise.all(replicas.map((g) => drive(g)));
  const total = a!.admitted + b!.admitted;
  console.log(`limit ${LIMIT} tokens/minute; admitted: replica 1 ${a!.admitted}, replica 2 ${b!.admitted}, total ${total}, overshoot ${total - LIMIT}`);
  expect(total).toBeGreaterThanOrEqual(LIMIT);
  expect(total).toBeLessThanOrEqual(LIMIT + 2 * PER_REQUEST);
  for (const r of [a!, b!]) {
    expect(r.refused).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(r.refused.headers?.get('retry-after'))).toBeGreaterThan(0);
  }
  // The same principal on either replica, in Anthropic's dialect: refused in Anthropic's shape.
  const claude = new Anthropic({ baseURL: replicas[1]!.url, apiKey: X, maxRetries: 0 });
  await expect(claude.messages.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: MESSAGES })).rejects.toMatchObject({ status: 429, error: { type: 'error', error: { type: 'rate_limit_error' } } });
  // Another principal has its own counter.
  const other = await new OpenAI({ baseURL: `${replicas[0]!.url}/v1`, apiKey: Y, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
  expect(other.usage?.total_tokens).toBe(PER_REQUEST);
}, 90_000);

it('four clients per replica at once: the overshoot is at most the requests in flight', async () => {
  await freshMinute();
  const CLIENTS = 4;
  const runs = await Promise.all(replicas.flatMap((g) => Array.from({ length: CLIENTS }, () => drive(g, Z))));
  const perReplica = replicas.map((_, i) => runs.slice(i * CLIENTS, (i + 1) * CLIENTS).reduce((n, r) => n + r.admitted, 0));
  const total = perReplica[0]! + perReplica[1]!;
  console.log(`limit ${LIMIT} tokens/minute, ${CLIENTS} clients per replica: admitted: replica 1 ${perReplica[0]}, replica 2 ${perReplica[1]}, total ${total}, overshoot ${total - LIMIT}`);
  expect(total).toBeGreaterThanOrEqual(LIMIT);
  expect(total).toBeLessThanOrEqual(LIMIT + replicas.length * CLIENTS * PER_REQUEST);
  for (const r of runs) expect(r.refused).toMatchObject({ status: 429, code: 'rate_limited' });
}, 90_000);
