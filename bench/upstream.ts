// The fake OpenAI upstream, run as its own process (bench/children.ts forks it) so its CPU
// is not the load generator's. Answers POST /v1/chat/completions with a JSON completion or,
// for `stream: true`, an SSE stream; counts what it saw for the parent's sanity checks.
// Talks to the parent over the fork IPC channel: 'ready' with its port, 'stats' on request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BENCH_KEY, CHAT_PATH, chatCompletionJson, chatStreamEvents, LONG_STREAM_DELTAS, LONG_STREAM_MODEL } from './fixtures.js';

export interface UpstreamStats {
  requests: number;
  plain: number;
  stream: number;
  /** Streams where the request asked for the usage chunk (the processor adds that). */
  streamWithUsage: number;
  /** Requests carrying the key the processor injects. */
  withBenchKey: number;
  rejected: number;
  lastPath: string;
  lastHost: string;
}

export type UpstreamMessage = { type: 'ready'; port: number } | { type: 'stats'; stats: UpstreamStats };

const stats: UpstreamStats = { requests: 0, plain: 0, stream: 0, streamWithUsage: 0, withBenchKey: 0, rejected: 0, lastPath: '', lastHost: '' };

interface ChatRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function reject(res: ServerResponse, status: number, message: string): void {
  stats.rejected++;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
}

// A real provider emits chunks over time; yielding to the event loop between writes keeps
// them separate TCP writes (so Envoy sees several body chunks) without adding a fixed delay.
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  stats.requests++;
  stats.lastPath = req.url ?? '';
  stats.lastHost = req.headers.host ?? '';
  if (req.headers.authorization === `Bearer ${BENCH_KEY}`) stats.withBenchKey++;
  if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== CHAT_PATH) return reject(res, 404, `no route for ${req.method} ${req.url}`);
  let body: ChatRequest;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
  } catch {
    return reject(res, 400, 'request body is not JSON');
  }
  const model = `${body.model ?? 'unknown'}-2024-07-18`;
  if (!body.stream) {
    stats.plain++;
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_bench' });
    res.end(chatCompletionJson(model));
    return;
  }
  const withUsage = body.stream_options?.include_usage === true;
  stats.stream++;
  if (withUsage) stats.streamWithUsage++;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' });
  for (const event of chatStreamEvents(model, withUsage, body.model === LONG_STREAM_MODEL ? LONG_STREAM_DELTAS : undefined)) {
    if (res.destroyed) return;
    res.write(event);
    await yieldOnce();
  }
  res.end();
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    process.stderr.write(`upstream: ${(err as Error).stack ?? String(err)}\n`);
    res.destroy();
  });
});
// Envoy pools upstream connections across the idle gaps between runs; a server-side idle
// close racing a reused connection would show up as a spurious 503, so never close idle ones.
server.keepAliveTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.send?.({ type: 'ready', port } satisfies UpstreamMessage);
});

process.on('message', (msg: { type?: string }) => {
  if (msg.type === 'stats') process.send?.({ type: 'stats', stats } satisfies UpstreamMessage);
});
// The parent went away (crash, SIGKILL): do not outlive it.
process.on('disconnect', () => process.exit(0));
