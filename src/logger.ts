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

const common = {
  level: process.env.LOG_LEVEL ?? 'info',
  base: { svc: 'llm-extproc' },
  // Each line as written, after redaction, to whoever listens (the e2e tests read usage lines).
  hooks: {
    streamWrite: (line: string) => {
      for (const tap of taps) tap(line);
      return line;
    },
  },
};

// Where log lines go: stdout, unless a command's stdout is its output (logsToStderr).
let logDestination = pino.destination({ dest: 1, sync: true });
export const logger: Logger = pino({ ...common, redact: { paths: REDACT, censor: '[redacted]' } }, { write: (line: string) => logDestination.write(line) });

/**
 * For commands whose stdout is a file someone pipes on (`envoy-config`, `ratelimit-config`):
 * a warning logged while loading the config must not land in the YAML.
 */
export function logsToStderr(): void {
  logDestination = pino.destination({ dest: 2, sync: true });
}

/**
 * The usage log: one line per request, made from a record that holds counts and names, never
 * a header or a credential, so it skips the redaction pass every other line pays for. Its
 * lines are written in batches (a write per line was a syscall per request), flushed every
 * USAGE_FLUSH_MS and at exit: a line is at most that late.
 *
 * Under `serve --workers` several processes write to the one stdout. Each write is whole lines
 * (sonic-boom appends a line to a batch only if it fits, else starts the next) of at most
 * PIPE_BUF bytes, which a pipe writes atomically: no worker's line is ever cut by another's.
 * Regular files (O_APPEND, or one shared offset) take each write whole anyway. A single line
 * longer than PIPE_BUF is one write of its own, and only a pipe could split that one.
 */
const PIPE_BUF = 4096; // Linux
const USAGE_MAX_WRITE_BYTES = PIPE_BUF;
/** Writing starts at this much (sonic-boom wants it below the largest write). */
const USAGE_BUFFER_BYTES = PIPE_BUF - 512;
const USAGE_FLUSH_MS = 1000;
const usageStream = pino.destination({ dest: 1, sync: false, minLength: USAGE_BUFFER_BYTES, maxWrite: USAGE_MAX_WRITE_BYTES });
export const usageLogger: Logger = pino(common, usageStream);
setInterval(() => usageStream.flush(), USAGE_FLUSH_MS).unref();
process.once('exit', () => {
  try {
    usageStream.flushSync();
  } catch {
    // Nothing left to write it to.
  }
});

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

/**
 * A request's logger. Its bindings (request id, client, backend…) are gathered as the request
 * is understood, and a pino child is made only when a line is written: a child per request
 * cost ~5 % of CPU when nothing per request was logged.
 */
class LazyLogger {
  private made: Logger | undefined;

  /** Each child holds only its own fields and its parent: merged once, when a line is written. */
  constructor(
    private readonly parent: Logger,
    private readonly own: Record<string, unknown>,
    private readonly up?: LazyLogger,
  ) {}

  child(more: Record<string, unknown>): LazyLogger {
    return new LazyLogger(this.parent, more, this);
  }

  private fields(): Record<string, unknown> {
    return this.up ? Object.assign(this.up.fields(), this.own) : Object.assign({}, this.own);
  }

  bindings(): Record<string, unknown> {
    return Object.assign(this.parent.bindings(), this.fields());
  }

  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level);
  }

  get level(): string {
    return this.parent.level;
  }

  write(level: Level, args: unknown[]): void {
    if (!this.parent.isLevelEnabled(level)) return;
    this.made ??= this.parent.child(this.fields());
    (this.made[level] as (...a: unknown[]) => void)(...args);
  }
}
for (const level of LEVELS) {
  Object.defineProperty(LazyLogger.prototype, level, {
    value(this: LazyLogger, ...args: unknown[]) {
      this.write(level, args);
    },
  });
}

/** A logger for one request, with `fields` bound, that costs nothing until it logs. */
export function requestLogger(parent: Logger, fields: Record<string, unknown> = {}): Logger {
  return new LazyLogger(parent, fields) as unknown as Logger;
}

/** Calls `tap` with every log line from now on; returns the function that stops it. */
export function tapLogs(tap: LogTap): () => void {
  taps.add(tap);
  return () => taps.delete(tap);
}

export type { Logger };
