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

export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { svc: 'llm-extproc' },
  redact: { paths: REDACT, censor: '[redacted]' },
});

export type { Logger };
