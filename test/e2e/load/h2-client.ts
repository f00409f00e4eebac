// The load side of the concurrency test: N streamed chat requests over a few HTTP/2
// sessions to Envoy (so the client needs a handful of sockets, not N), each read to its end.
// Requests start as fast as earlier ones are admitted (get their response headers), with at
// most `admissionWindow` waiting at once: all N end up in flight together, and no request
// queues behind thousands of others for the processor's first replies. Returns what a user
// would see per request: status and body.
import { connect, constants, type ClientHttp2Session } from 'node:http2';

export interface StreamResult {
  status: number;
  body: string;
  /** Set when the stream failed below HTTP (reset, session closed, deadline). */
  error?: string;
}

export interface LoadOptions {
  url: string;
  requests: number;
  sessions: number;
  path: string;
  body: string;
  headers?: Record<string, string>;
  /** Every session is torn down after this long: the test ends by itself. */
  deadlineMs: number;
  /** Requests started but not yet answered with headers, at most. */
  admissionWindow: number;
  /** Called as each request ends, in the order they end. */
  onSettled?: (r: StreamResult, index: number) => void;
}

/** Resolves once Envoy's SETTINGS have arrived, so the session knows its stream limit. */
function openSession(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // Node gives a session 10 MB of buffers by default; a thousand streams need more.
    const session = connect(url, { maxSessionMemory: 1024 });
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

/** One request; `admitted` runs once, when its headers arrive or it ends without them. */
function oneStream(session: ClientHttp2Session, o: LoadOptions, admitted: () => void): Promise<StreamResult> {
  return new Promise((resolve) => {
    let status = 0;
    let body = '';
    let admittedOnce = false;
    const admit = () => {
      if (!admittedOnce) (admittedOnce = true), admitted();
    };
    let req: ReturnType<ClientHttp2Session['request']>;
    try {
      req = session.request({ [constants.HTTP2_HEADER_METHOD]: 'POST', [constants.HTTP2_HEADER_PATH]: o.path, 'content-type': 'application/json', ...o.headers });
    } catch (err) {
      // The session is gone (the deadline tore it down): this request never started.
      resolve({ status: 0, body: '', error: (err as Error).message });
      // Not from inside the caller's loop: the next start would otherwise recurse.
      return void setImmediate(admit);
    }
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[constants.HTTP2_HEADER_STATUS]);
      admit();
    });
    req.on('close', admit);
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ status, body }));
    req.on('error', (err: Error) => resolve({ status, body, error: err.message }));
    // A stream torn down with its session may end with neither 'end' nor 'error'.
    req.on('close', () => resolve({ status, body, error: req.rstCode ? `reset (code ${req.rstCode})` : 'closed before its end' }));
    req.end(o.body);
  });
}

/** Runs the load; resolves with every request's result, in order, once all have ended. */
export async function runLoad(o: LoadOptions): Promise<StreamResult[]> {
  const sessions = await Promise.all(Array.from({ length: o.sessions }, () => openSession(o.url)));
  const deadline = setTimeout(() => {
    for (const s of sessions) s.destroy(new Error(`deadline of ${o.deadlineMs} ms`));
  }, o.deadlineMs);
  const results: Promise<StreamResult>[] = [];
  let allStarted!: () => void;
  const started = new Promise<void>((ok) => (allStarted = ok));
  // Each admission starts the next request, so all are started once all but the window are admitted.
  const startNext = () => {
    const i = results.length;
    if (i >= o.requests) return;
    const r = oneStream(sessions[i % sessions.length]!, o, startNext);
    results[i] = r;
    void r.then((res) => o.onSettled?.(res, i));
    if (i === o.requests - 1) allStarted();
  };
  try {
    for (let i = 0; i < Math.min(o.admissionWindow, o.requests); i++) startNext();
    await started;
    return await Promise.all(results);
  } finally {
    clearTimeout(deadline);
    for (const s of sessions) s.destroy();
  }
}
