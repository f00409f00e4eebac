// The load side of the concurrency test: N streamed chat requests over a few HTTP/2
// sessions to Envoy (so the client needs a handful of sockets, not N), all started at once,
// each read to its end. Returns what a user would see per request: status and body.
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

function oneStream(session: ClientHttp2Session, o: LoadOptions): Promise<StreamResult> {
  return new Promise((resolve) => {
    let status = 0;
    let body = '';
    const req = session.request({ [constants.HTTP2_HEADER_METHOD]: 'POST', [constants.HTTP2_HEADER_PATH]: o.path, 'content-type': 'application/json', ...o.headers });
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[constants.HTTP2_HEADER_STATUS])));
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
  try {
    return await Promise.all(Array.from({ length: o.requests }, (_, i) => oneStream(sessions[i % sessions.length]!, o)));
  } finally {
    clearTimeout(deadline);
    for (const s of sessions) s.destroy();
  }
}
