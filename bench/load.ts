// One measured run: autocannon at a fixed number of keep-alive connections for a fixed
// time against one URL. autocannon's own latency histogram has 1 ms resolution, too coarse
// for loopback; each response's time (hrtime, measured until the LAST byte, so a stream
// counts only once fully read) is collected here instead and percentiles are exact.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  durationS: number;
  verifyBody: (body: string) => boolean;
}

export interface LoadResult {
  /** Wall time of the run in seconds (autocannon's, 10 ms resolution). */
  durationS: number;
  /** Completed responses (any status). */
  responses: number;
  ok: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Responses that were not 2xx. */
  non2xx: number;
  /** Socket errors and timeouts (autocannon counts timeouts as errors too). */
  socketErrors: number;
  timeouts: number;
  /** 2xx responses whose body failed verifyBody. */
  badBodies: number;
  statusCodes: Record<string, number>;
  /** non2xx + socketErrors + badBodies: anything but a verified 2xx. */
  errorCount: number;
  /** The first few failures, to say what went wrong. */
  errorSamples: string[];
}

const MAX_SAMPLES = 5;

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

let current: autocannon.Instance | undefined;

/** Stops the run in progress (SIGINT); its result still arrives. */
export function stopCurrentLoad(): void {
  current?.stop();
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let badBodies = 0;
  const sample = (what: string) => {
    if (errorSamples.length < MAX_SAMPLES) errorSamples.push(what);
  };
  // Status and body arrive together here (autocannon's verifyBody sees no status, so it
  // would count every non-2xx a second time as a bad body).
  const onResponse = (status: number, body: string) => {
    if (status < 200 || status > 299) sample(`HTTP ${status}: ${body.slice(0, 300)}`);
    else if (!o.verifyBody(body)) {
      badBodies++;
      sample(`HTTP ${status} with an unexpected body: ${body.slice(0, 300)}`);
    }
  };
  const url = new URL(o.url);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        requests: [
          {
            method: 'POST',
            path: url.pathname + url.search,
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
            body: o.body,
            onResponse,
          },
        ],
        connections: o.connections,
        duration: o.durationS,
        pipelining: 1,
        timeout: 10,
      },
      (err, r) => {
        current = undefined;
        if (err) return reject(err);
        const sorted = Float64Array.from(latencies).sort();
        const mean = latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length);
        const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, Number(v.count)]));
        const responses = Object.values(statusCodes).reduce((s, n) => s + n, 0);
        const ok = latencies.length;
        resolve({
          durationS: r.duration,
          responses,
          ok,
          rps: ok / r.duration,
          latencyMs: {
            p50: percentile(sorted, 50),
            p90: percentile(sorted, 90),
            p99: percentile(sorted, 99),
            max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
            mean,
          },
          non2xx: r.non2xx,
          socketErrors: r.errors,
          timeouts: r.timeouts,
          badBodies,
          statusCodes,
          errorCount: r.non2xx + r.errors + badBodies,
          errorSamples,
        });
      },
    );
    current = instance;
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
    instance.on('reqError', (err) => sample(`socket: ${(err as Error)?.message ?? String(err)}`));
  });
}
