// Rate limits through a real Envoy, the real envoyproxy/ratelimit service and a real Redis:
// the processor writes the service's descriptors from its own config; a principal over its
// request limit gets a 429 in its own dialect, with retry-after, before any provider is
// called; token limits charge the tokens each answer used when it ends, streams included.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletion, chatStream } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { sampleValue, scrape } from './observe.js';
import { freePort, type RatelimitService, type Running, startRatelimit, startRedis } from '../../src/ratelimit/local.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const MESSAGES = [{ role: 'user' as const, content: 'Hello!' }];
const KEYS = { a: 'gk-limits-a-0001', b: 'gk-limits-b-0002', c: 'gk-limits-c-0003', d: 'gk-limits-d-0004' };

let redis: Running;
let ratelimit: RatelimitService;
let upstream: FakeUpstream;
let gw: Gateway;

beforeAll(async () => {
  // Start well inside an hour's window (the counters of the rules below reset at its end).
  const intoHour = Date.now() % 3_600_000;
  if (intoHour > 3_600_000 - 30_000) await new Promise((r) => setTimeout(r, 3_600_000 - intoHour + 500));
  redis = await startRedis();
  ratelimit = await startRatelimit(redis.port);
  upstream = await startFakeUpstream((req) =>
    (JSON.parse(req.body.toString()) as { stream?: boolean }).stream ? { sse: chatStream('gpt-4o-mini', ['one ', 'two'], true) } : { json: chatCompletion('gpt-4o-mini') },
  );
  gw = await startGateway({
    backends: { openai: { provider: 'openai', endpoint: upstream.url, authToken: { kind: 'Inline', inline: 'sk-up' } } },
    defaultBackend: 'openai',
    clients: Object.fromEntries(Object.entries(KEYS).map(([n, k]) => [`team-${n}`, { keys: [{ sha256: sha(k) }] }])),
    rateLimits: {
      service: { address: ratelimit.grpcAddress, configDir: ratelimit.configDir },
      rules: [
        // Hours, not minutes: the service's windows are fixed, and a test must not straddle one.
        { clients: ['team-a'], requests: { limit: 3, per: 'hour' } },
        { clients: ['team-c'], tokens: { count: 'total', limit: 30, per: 'hour' } },
        { clients: ['team-d'], budget: { costUsd: 0.05, per: 'month' } },
      ],
    },
    // Dear on purpose: one plain answer (12 in, 7 out) costs $0.026.
    pricing: { 'gpt-4o-mini*': { input: 1000, cachedInput: 500, output: 2000 } },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
  await ratelimit?.stop();
  await redis?.stop();
});

/** The value of the one Redis counter whose key names this rule. */
function counter(rule: string): number {
  const keys = execFileSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', `*${rule}_*`]).toString().split('\n').filter(Boolean);
  return keys.length === 1 ? Number(execFileSync('redis-cli', ['-p', String(redis.port), 'get', keys[0]!]).toString()) : Number.NaN;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the rate limit counter');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The API error a call ends in (a call that succeeds fails the test). */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
  );
/** llm_extproc_limit_remaining for these labels; a missing series fails (0 is a figure). */
async function remaining(labels: Record<string, string>): Promise<number> {
  const hits = (await scrape(gw.adminUrl)).filter((s) => s.name === 'llm_extproc_limit_remaining' && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits).toHaveLength(1);
  return hits[0]!.value;
}
const client = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });

describe('rate limits', () => {
  it('a request limit: the fourth request in the hour is a 429 in OpenAI’s shape with retry-after, and never reaches the provider', async () => {
    const before = upstream.requests.length;
    // A principal the rule names is reported before it has sent anything.
    expect(await remaining({ rule: 'r0', client: 'team-a', counts: 'requests' })).toBe(3);
    for (let i = 0; i < 3; i++) await client(KEYS.a).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    const err = await refusal(client(KEYS.a).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(err.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(err.headers?.get('x-ratelimit-limit')).toMatch(/^3\b/);
    expect(upstream.requests.length - before).toBe(3);
    expect(await remaining({ rule: 'r0', client: 'team-a', counts: 'requests' })).toBe(0);
    // Another principal has its own allowance.
    await client(KEYS.b).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
  });

  it('a token limit: each answer’s tokens are charged when it ends (streams too); once over, the next request is refused', async () => {
    // 19 tokens, then a stream of 13 (its usage chunk): 32 > 30.
    await client(KEYS.c).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    await until(() => counter('rule_r1') === 19);
    // What is left is a metric, read from the shared counter; reading it charges nothing.
    expect(await remaining({ rule: 'r1', client: 'team-c', counts: 'total_tokens' })).toBe(11);
    expect(await remaining({ rule: 'r1', client: 'team-c', counts: 'total_tokens' })).toBe(11);
    expect(counter('rule_r1')).toBe(19);
    const stream = await client(KEYS.c).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: MESSAGES });
    for await (const _ of stream) void _;
    // Envoy charges when the stream is done, a moment after the client has its last byte: wait
    // for the counter to hold both answers (19 + 13). Had the stream not been charged, 19 < 30
    // would admit the next request.
    await until(() => counter('rule_r1') === 32);
    const status = await client(KEYS.c)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
      .then(() => 200, (e: { status: number }) => e.status);
    expect(status).toBe(429);
  });

  it('a monthly budget: each answer’s cost from the price table is recorded exactly and charged; past the budget, 429 budget_exceeded', async () => {
    await client(KEYS.d).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    await until(() => counter('rule_r2') === 26_000);
    // The remaining budget, in dollars: $0.05 less one answer's $0.026.
    expect(await remaining({ rule: 'r2', client: 'team-d', counts: 'usd' })).toBeCloseTo(0.024, 9);
    await client(KEYS.d).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    // The counter holds exactly the two answers' cost, in millionths of a dollar.
    await until(() => counter('rule_r2') === 52_000);
    const err = await refusal(client(KEYS.d).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }));
    expect(err).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    const line = await gw.waitForAccessLogEntry((l) => l.client === 'team-d' && typeof l.cost_usd === 'number');
    expect(line.cost_usd).toBeCloseTo(0.026, 12);
    expect(counter('rule_r2')).toBe(52_000);
    const samples = await scrape(gw.adminUrl);
    expect(sampleValue(samples, 'llm_extproc_cost_usd_total', { client: 'team-d' })).toBeCloseTo(0.052, 9);
    expect(await remaining({ rule: 'r2', client: 'team-d', counts: 'usd' })).toBe(0);
  });

  it('Redis stopped: requests pass (failureMode open, the default); Redis back: the limits hold again', async () => {
    const port = redis.port;
    await redis.stop();
    // team-a is over its limit for this minute; with the counters unreachable the gateway fails open.
    await client(KEYS.a).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    redis = await startRedis(port);
    const until = Date.now() + 15_000;
    let status = 200;
    while (status !== 429 && Date.now() < until) {
      status = await client(KEYS.a)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
        .then(() => 200, (e: { status: number }) => e.status);
    }
    expect(status).toBe(429);
  }, 30_000);

  it('failureMode closed: with no service to ask, requests are refused with 503 rate_limit_unavailable in the client’s shape', async () => {
    const closed = await startGateway({
      backends: { openai: { provider: 'openai', endpoint: upstream.url, authToken: { kind: 'Inline', inline: 'sk-up' } } },
      defaultBackend: 'openai',
      clients: { 'team-a': { keys: [{ sha256: sha(KEYS.a) }] } },
      // Nothing listens there.
      rateLimits: { service: { address: `127.0.0.1:${await freePort()}`, failureMode: 'closed' }, rules: [{ clients: ['*'], requests: { limit: 100, per: 'minute' } }] },
    });
    try {
      const before = upstream.requests.length;
      const err = await new OpenAI({ baseURL: `${closed.url}/v1`, apiKey: KEYS.a, maxRetries: 0 })
        .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 503, code: 'rate_limit_unavailable' });
      expect(upstream.requests.length).toBe(before);
    } finally {
      await closed.stop();
    }
  });
});
