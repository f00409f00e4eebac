// What `serve --workers` sends over the cluster IPC channel between the primary and its
// workers. Every message carries a `t` with this module's prefix, so other users of the
// channel (node:cluster's own messages, prom-client's) are never mistaken for ours.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ConfigFile } from '../config/schema.js';

const P = 'llm-extproc:';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Primary -> worker. */
export type ToWorker =
  /** The answer to `hello`: the primary's current (validated) config and where to listen. */
  | { t: `${typeof P}start`; file: ConfigFile; listen: number | string; host: string; graceMs: number }
  /** A reload the primary validated: every worker applies the same config. */
  | { t: `${typeof P}config`; file: ConfigFile }
  | { t: `${typeof P}metrics`; id: number }
  | { t: `${typeof P}stop`; graceMs: number };

/** Worker -> primary. */
export type FromWorker =
  /** The worker listens for messages: send it `start`. */
  | { t: `${typeof P}hello` }
  | { t: `${typeof P}serving`; address: string; port: number }
  /** The worker could not start (it exits next); the reason, in one line. */
  | { t: `${typeof P}failed`; message: string }
  | { t: `${typeof P}metrics`; id: number; metrics?: MetricsJson; error?: string };

export const msg = {
  start: `${P}start`,
  config: `${P}config`,
  metrics: `${P}metrics`,
  stop: `${P}stop`,
  hello: `${P}hello`,
  serving: `${P}serving`,
  failed: `${P}failed`,
} as const;

function ours(m: unknown): m is { t: string } {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string' && (m as { t: string }).t.startsWith(P);
}

export function isToWorker(m: unknown): m is ToWorker {
  return ours(m);
}

export function isFromWorker(m: unknown): m is FromWorker {
  return ours(m);
}
