// A request's logger binds its fields without making a pino child until a line is written;
// the line carries every binding and still goes through redaction. The usage logger writes
// the same lines, without the redaction pass (its records hold no headers).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, requestLogger, tapLogs, usageLogger } from '../../src/logger.js';

const lines: Record<string, unknown>[] = [];
const untap = tapLogs((l) => lines.push(JSON.parse(l) as Record<string, unknown>));
afterEach(() => {
  lines.length = 0;
  vi.restoreAllMocks();
});

describe('requestLogger', () => {
  it('makes no child while nothing is logged, then one line with every binding, redacted', () => {
    const child = vi.spyOn(logger, 'child');
    const log = requestLogger(logger).child({ requestId: 'r-1' }).child({ backend: 'openai' });
    log.debug('below the level: nothing');
    expect(child).not.toHaveBeenCalled();
    log.warn({ headers: { authorization: 'Bearer sk-secret' } }, 'upstream said no');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ requestId: 'r-1', backend: 'openai', msg: 'upstream said no', headers: { authorization: '[redacted]' } });
    log.error('again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines[1]).toMatchObject({ requestId: 'r-1', backend: 'openai', msg: 'again', level: 50 });
  });

  it('the usage logger writes to the same taps', () => {
    usageLogger.info({ requestId: 'r-2', totalTokens: 19 }, 'usage');
    expect(lines[0]).toMatchObject({ svc: 'llm-extproc', requestId: 'r-2', totalTokens: 19, msg: 'usage' });
  });
});

process.on('exit', untap);
