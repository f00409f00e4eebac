// A failure as Envoy gets it: an immediate response in the client's dialect, marked with the
// error code. Both filters answer this way, so a client cannot tell which one refused.
import { renderError } from '../dialects/index.js';
import type { DialectName } from '../dialects/types.js';
import { ERROR_CODE_HEADER } from '../envoy/metadata-keys.js';
import { GatewayError } from '../errors.js';
import { MutationBuilder } from '../extproc/headers.js';
import type { ProcessingResponse } from '../extproc/types.js';
import type { Logger } from '../logger.js';
import { gatewayErrorsTotal } from '../telemetry/metrics.js';

/** Logs and counts the failure; unexpected errors become a 500 internal_error that says nothing of their cause. */
export function asGatewayError(err: unknown, log: Logger, what: string): GatewayError {
  const gw = err instanceof GatewayError ? err : undefined;
  if (gw) log.info({ code: gw.code, status: gw.status }, gw.message);
  else log.error({ err }, `internal error while ${what}`);
  const e = gw ?? new GatewayError('internal_error', `the gateway failed ${what}`);
  gatewayErrorsTotal.inc({ code: e.code });
  return e;
}

export function errorReply(e: GatewayError, dialect: DialectName, extra: Record<string, string> = {}): ProcessingResponse {
  const headers = new MutationBuilder().setHeader('content-type', 'application/json').setHeader(ERROR_CODE_HEADER, e.code);
  for (const [k, v] of Object.entries(extra)) headers.setHeader(k, v);
  return {
    immediate_response: { status: { code: e.status }, headers: headers.build(), body: renderError(dialect, e.shape()), details: `llm_extproc_${e.code}` },
  };
}
