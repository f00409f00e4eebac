// The process logger. Secrets never reach it: credential headers are redacted by
// path, and code that handles secrets logs only their source, never the value.
import { pino, type Logger } from 'pino';

const REDACT = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'headers["x-goog-api-key"]',
  '*.inline',
  '*.secretAccessKey',
  '*.sessionToken',
];

export type LogTap = (line: string) => void;
const taps = new Set<LogTap>();

export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { svc: 'llm-extproc' },
  redact: { paths: REDACT, censor: '[redacted]' },
  // Each line as written, after redaction, to whoever listens (the e2e tests read usage lines).
  hooks: {
    streamWrite: (line) => {
      for (const tap of taps) tap(line);
      return line;
    },
  },
});

/** Calls `tap` with every log line from now on; returns the function that stops it. */
export function tapLogs(tap: LogTap): () => void {
  taps.add(tap);
  return () => taps.delete(tap);
}

export type { Logger };
