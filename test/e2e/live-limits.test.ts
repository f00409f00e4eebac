// Rate limit rules live: with the processor writing Envoy's routes (path-based RDS), a rule
// added to the config file applies without restarting Envoy, through the real envoyproxy/ratelimit
// service and a real Redis; removing it lifts the limit; other backends never see a failure.
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiLike } from './fixtures.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from './harness.js';
import { type RatelimitService, type Running, startRatelimit, startRedis } from '../../src/ratelimit/local.js';

let redis: Running;
let ratelimit: RatelimitService;
let limited: FakeUpstream, other: FakeUpstream;
let gw: Gateway;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function chat(backend: string): Promise<{ status: number; body: string }> {
  const url = new URL('/v1/chat/completions', gw.url);
  const payload = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-llm-backend': backend } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/** Requests for `backend` until one answers `status`; how long that took and what came before. */
async function untilStatus(backend: string, status: number, timeoutMs = 10_000): Promise<{ ms: number; before: number[]; body: string }> {
  const t0 = Date.now();
  const before: number[] = [];
  while (Date.now() - t0 < timeoutMs) {
    const r = await chat(backend);
    if (r.status === status) return { ms: Date.now() - t0, before, body: r.body };
    before.push(r.status);
    await sleep(20);
  }
  throw new Error(`${backend} never answered ${status}; got ${before.slice(-5).join(', ')}`);
}

const backends = () => ({ limited: { provider: 'openai', endpoint: limited.url }, other: { provider: 'openai', endpoint: other.url } });
const service = () => ({ address: ratelimit.grpcAddress, configDir: ratelimit.configDir });

beforeAll(async () => {
  // Inside an hour's window: the rule's counter must not reset mid-test.
  const intoHour = Date.now() % 3_600_000;
  if (intoHour > 3_600_000 - 60_000) await sleep(3_600_000 - intoHour + 500);
  redis = await startRedis();
  ratelimit = await startRatelimit(redis.port);
  [limited, other] = (await Promise.all([startFakeUpstream(openaiLike('limited')), startFakeUpstream(openaiLike('other'))])) as [FakeUpstream, FakeUpstream];
  // A rateLimits section without rules: the bootstrap gets the filters, the routes no rules yet.
  gw = await startGateway({ backends: backends(), rateLimits: { service: service(), rules: [] } }, { dynamic: true });
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await gw?.stop();
  await Promise.all([limited, other].map((u) => u?.close()));
  await ratelimit?.stop();
  await redis?.stop();
});

describe('live config: rate limit rules', () => {
  it('a rule added to the file limits its backend within seconds; removed, the limit is gone; Envoy never restarts', async () => {
    const pid = gw.envoy.child?.pid;
    // No rule: far more than 3 requests pass.
    for (let i = 0; i < 5; i++) expect((await chat('limited')).status).toBe(200);

    let running = true;
    const otherStats = { requests: 0, failures: [] as string[] };
    const loop = (async () => {
      while (running) {
        const r = await chat('other').catch((e: unknown) => ({ status: 0, body: String(e) }));
        otherStats.requests++;
        if (r.status !== 200) otherStats.failures.push(`${r.status} ${r.body.slice(0, 200)}`);
      }
    })();

    const t0 = Date.now();
    gw.writeConfig({ backends: backends(), rateLimits: { service: service(), rules: [{ backends: ['limited'], requests: { limit: 3, per: 'hour' } }] } });
    const refused = await untilStatus('limited', 429);
    const addMs = Date.now() - t0;
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'rate_limited' } });
    // Before the 429 only successes: the requests until the routes file lands, then the rule's 3.
    const passedAfterRule = refused.before.filter((s) => s === 200).length;
    expect(refused.before.every((s) => s === 200)).toBe(true);
    // The refusals keep coming while the rule holds (the counter is in Redis, not in Envoy).
    for (let i = 0; i < 3; i++) expect((await chat('limited')).status).toBe(429);

    // Remove the rule: the same backend answers again.
    const t1 = Date.now();
    gw.writeConfig({ backends: backends(), rateLimits: { service: service(), rules: [] } });
    await untilStatus('limited', 200);
    const removeMs = Date.now() - t1;
    for (let i = 0; i < 5; i++) expect((await chat('limited')).status).toBe(200);

    running = false;
    await loop;
    expect(otherStats.failures).toEqual([]);
    expect(otherStats.requests).toBeGreaterThan(10);
    expect(gw.envoy.child?.pid).toBe(pid);
    console.log(`live limits: rule added → first 429 in ${addMs} ms (${passedAfterRule} passed before it); rule removed → first 200 in ${removeMs} ms; other backend ${otherStats.requests} requests, 0 failed`);
  }, 60_000);
});
