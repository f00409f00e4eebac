// A fake OpenAI upstream for the concurrency test: every streamed chat request gets its SSE
// headers and first event at once, then is held open until `expected` requests are open at
// the same time; then every held stream gets the rest of its events and ends. It counts how
// many were open at once, which is what proves the gateway carried them all together.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const HELD_WORDS = ['all ', 'at ', 'once'];
export const HELD_TEXT = HELD_WORDS.join('');

export interface HeldUpstream {
  url: string;
  /** Requests that reached it. */
  received(): number;
  /** The most streams open at the same moment. */
  maxOpen(): number;
  /** Requests it refused (not a streamed chat request): each one is a test failure. */
  rejected(): number;
  /** Resolves when `expected` streams are open together (and are being released). */
  allArrived: Promise<void>;
  /** Finishes every held stream now (when the test already knows not all will arrive). */
  release(): void;
  close(): Promise<void>;
}

const BASE = { id: 'chatcmpl-held', object: 'chat.completion.chunk', created: 1727967470, system_fingerprint: 'fp_held' };
const event = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

function firstEvent(model: string, usage: boolean): string {
  return event({ ...BASE, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...(usage ? { usage: null } : {}) });
}

/** Everything after the first event: the words, the finish, the usage chunk when asked for, [DONE]. */
function restOfStream(model: string, usage: boolean): string {
  const chunk = (delta: unknown, finish: string | null) => event({ ...BASE, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(usage ? { usage: null } : {}) });
  let out = HELD_WORDS.map((w) => chunk({ content: w }, null)).join('') + chunk({}, 'stop');
  if (usage) out += event({ ...BASE, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: HELD_WORDS.length, total_tokens: 9 + HELD_WORDS.length } });
  return `${out}data: [DONE]\n\n`;
}

export async function startHeldUpstream(expected: number): Promise<HeldUpstream> {
  const held: { res: ServerResponse; model: string; usage: boolean }[] = [];
  let open = 0;
  let maxOpen = 0;
  let received = 0;
  let rejected = 0;
  let released = false;
  let arrived!: () => void;
  const allArrived = new Promise<void>((ok) => (arrived = ok));

  const finish = (h: (typeof held)[number]) => {
    if (!h.res.destroyed) h.res.end(restOfStream(h.model, h.usage));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    received++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
    } catch {
      body = {};
    }
    if (req.url !== '/v1/chat/completions' || body.stream !== true) {
      rejected++;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"expected a streamed chat request"}}');
      return;
    }
    const h = { res, model: `${body.model ?? 'unknown'}-held`, usage: body.stream_options?.include_usage === true };
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.once('close', () => open--);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(firstEvent(h.model, h.usage));
    if (released) return finish(h);
    held.push(h);
    if (open >= expected) {
      arrived();
      await release();
    }
  };

  const release = async () => {
    if (released) return;
    released = true;
    // In slices, so the event loop keeps serving the rest in between.
    while (held.length) {
      for (const x of held.splice(0, 500)) finish(x);
      await new Promise((ok) => setImmediate(ok));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  // A held stream is not idle from the server's side: no timeouts while the test waits for the rest.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  await new Promise<void>((ok) => server.listen({ port: 0, host: '127.0.0.1', backlog: 65_535 }, ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    maxOpen: () => maxOpen,
    rejected: () => rejected,
    allArrived,
    release: () => void release(),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
