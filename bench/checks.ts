// Making sure each setup measures what it claims: one request per setup before any load,
// checked at the client AND at the fake upstream (did the processor inject the key, did it
// rewrite the streamed request to ask for usage), and the processor's own counters of
// ext_proc messages by phase, which show per run how much of each request it saw.
import type { UpstreamProcess } from './children.js';
import { BENCH_KEY, bodyMatches } from './fixtures.js';
import type { Target } from './setups.js';

/** The processor's `llm_extproc_*` Prometheus samples, keyed by `name{labels}`. */
export async function scrapeCounters(adminUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${adminUrl}/metrics answered ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('llm_extproc_')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export function counterDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

// Envoy counters that explain failures or extra work: ext_proc stream errors and timeouts,
// 5xx, resets, connections closed under active requests.
const ENVOY_COUNTERS = /ext_proc|rq_5xx|rq_timeout|reset|destroy_.*with_active_rq|overflow|rq_retry|cx_protocol_error/;

/** The interesting subset of Envoy's counters (admin /stats). */
export async function scrapeEnvoyCounters(adminUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${adminUrl}/stats?format=json&type=Counters`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${adminUrl}/stats answered ${res.status}`);
  const json = (await res.json()) as { stats?: { name?: string; value?: number }[] };
  const out = new Map<string, number>();
  for (const s of json.stats ?? []) {
    if (typeof s.name === 'string' && typeof s.value === 'number' && ENVOY_COUNTERS.test(s.name)) out.set(s.name, s.value);
  }
  return out;
}

/** ext_proc messages the processor received per completed request, by phase. */
export function messagesPerRequest(delta: Map<string, number>, requests: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of delta) {
    const phase = /^llm_extproc_processing_messages_total\{phase="([^"]*)"\}$/.exec(k)?.[1];
    if (phase !== undefined && requests > 0) out[phase] = Math.round((v / requests) * 100) / 100;
  }
  return out;
}

const PHASE_REQUEST_BODY = /request_?body/i;

/**
 * One request through the setup. Throws when the setup is not what it claims to be
 * (wrong status or body, key not injected, streamed request not rewritten); returns
 * notes for things worth knowing that do not invalidate the measurement.
 */
export async function preflight(t: Target, upstream: UpstreamProcess): Promise<string[]> {
  const notes: string[] = [];
  const before = await upstream.stats();
  const countersBefore = t.processor ? await scrapeCounters(t.processor.adminUrl) : undefined;
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: t.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const after = await upstream.stats();
  const fail = (why: string) => {
    throw new Error(`preflight ${t.id} (${t.label}): ${why}\nstatus ${res.status}, body: ${text.slice(0, 400)}`);
  };
  if (res.status !== 200) fail('expected status 200');
  if (!bodyMatches(text, t.bodyShape)) fail(t.stream ? 'expected a complete SSE stream ending in [DONE]' : 'expected a chat completion with usage');
  if (after.requests - before.requests !== 1) fail(`the upstream saw ${after.requests - before.requests} requests, expected 1`);
  const keyed = after.withBenchKey - before.withBenchKey;
  if (t.processor && keyed !== 1) fail(`the upstream did not receive the injected key (Bearer ${BENCH_KEY.slice(0, 8)}…): not going through the processor?`);
  if (!t.processor && keyed !== 0) fail('the upstream received the bench key without a processor');
  const askedUsage = after.streamWithUsage - before.streamWithUsage;
  const translated = t.id.startsWith('c-') || t.id.startsWith('p-') || t.id.startsWith('l-');
  if ((t.id.startsWith('c-sse') || t.id === 'p-sse') && askedUsage !== 1) fail('the processor did not add stream_options.include_usage: the request body was not processed');
  if (t.id.startsWith('a-sse') && askedUsage !== 0) fail('the upstream was asked for usage without a processor');
  if (t.id.startsWith('c-sse') && text.includes('"choices":[]')) notes.push(`${t.id}: the usage-only chunk the processor asked for reached the client`);
  if (t.processor && countersBefore) {
    const delta = counterDelta(countersBefore, await scrapeCounters(t.processor.adminUrl));
    const phases = messagesPerRequest(delta, 1);
    const bodyMsgs = Object.entries(phases).filter(([p]) => PHASE_REQUEST_BODY.test(p)).reduce((s, [, n]) => s + n, 0);
    if (t.id === 'b' && bodyMsgs > 0) notes.push(`b: the processor received the request body on a passthrough route (${JSON.stringify(phases)})`);
    if (translated && bodyMsgs === 0) fail(`the processor did not receive the request body on a completions route (${JSON.stringify(phases)})`);
  }
  return notes;
}
