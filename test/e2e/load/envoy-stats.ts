// Envoy's admin /stats as the concurrency test reads it: every counter and gauge by name,
// the ones that mean a request was refused, cut or failed, and a sampler that keeps the
// highest value of some gauges while the load runs (a circuit breaker's "open" gauge is 1
// only while it is open, so reading it afterwards proves nothing).
import { get } from 'node:http';

export type Stats = Map<string, number>;

/** GET over a fresh connection: a keep-alive socket the server has just closed fails a fetch. */
export function getText(url: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body.slice(0, 200)}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function envoyStats(adminUrl: string, filter?: string): Promise<Stats> {
  const text = await getText(`${adminUrl}/stats${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`);
  const stats: Stats = new Map();
  // Histograms ("P0(...)") and text readouts are not numbers; counters and gauges are.
  for (const m of text.matchAll(/^(\S+): (\d+)$/gm)) stats.set(m[1]!, Number(m[2]));
  return stats;
}

/**
 * Stats whose every increment is a request refused, cut short or failed: circuit breaker and
 * connection-limit overflows, HTTP/2 flood guards (they close the whole connection), streams
 * to the processor that failed or timed out, connections lost with requests on them, 5xx.
 */
const TROUBLE = [
  /_overflow$/,
  /\.circuit_breakers\.[^.]+\.\w+_open$/,
  /(^|\.)http[12]\.\w*flood$/,
  /\.ext_proc\.(streams_failed|failure_mode_allowed|message_timeouts|spurious_msgs_received|rejected_header_mutations|http_not_ok_resp_received)$/,
  /\.downstream_rq_(5xx|tx_reset|timeout|idle_timeout|overload_close|too_many_premature_resets)$/,
  /\.rq_reset_after_downstream_response_started$/,
  /\.rq_overload_local_reply$/,
  /\.downstream_cx_overload_reject$/,
  /^cluster\.[^.]+\.upstream_(cx_destroy_with_active_rq|cx_connect_fail|cx_connect_timeout|cx_protocol_error|cx_none_healthy|rq_pending_failure_eject|rq_timeout|rq_per_try_timeout|rq_5xx|queue_overloaded)$/,
  /^envoy\.overload_actions\.\w+\.count$/,
  /^server\.(envoy_bug_failures|debug_assertion_failures)$/,
];

/** The trouble stats that are not zero, as `name: value` lines (empty when all is well). */
export function troubles(stats: Stats): string[] {
  return [...stats].filter(([name, v]) => v !== 0 && TROUBLE.some((re) => re.test(name))).map(([n, v]) => `${n}: ${v}`);
}

/** Polls a filtered /stats and keeps each stat's highest value until stopped. */
export function sampleMaxima(adminUrl: string, filter: string, everyMs: number) {
  const maxima: Stats = new Map();
  let errors = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    envoyStats(adminUrl, filter)
      .then((s) => {
        for (const [k, v] of s) maxima.set(k, Math.max(v, maxima.get(k) ?? 0));
      })
      .catch(() => errors++)
      .finally(() => (busy = false));
  }, everyMs);
  return {
    maxima,
    /** Samples that could not be read (an admin that stops answering is itself a finding). */
    errors: () => errors,
    stop: () => clearInterval(timer),
  };
}
