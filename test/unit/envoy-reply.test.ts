// Envoy's own replies told from a provider's answer by `response.code_details` (Envoy
// Gateway, where no local_reply_config marks them): which become which gateway error.
import { describe, expect, it } from 'vitest';
import { codeDetails, envoyReplyError } from '../../src/processor/envoy-reply.js';
import { toStruct } from '../../src/extproc/struct.js';

describe('Envoy replies by code details', () => {
  it('a provider’s answer, and replies the gateway made, are left alone', () => {
    expect(envoyReplyError('via_upstream', 503)).toBeUndefined();
    expect(envoyReplyError('via_upstream', 504)).toBeUndefined();
    expect(envoyReplyError('llm_extproc_backend_not_found', 404)).toBeUndefined();
    expect(envoyReplyError('ext_proc_error_gRPC_error_14', 500)).toBeUndefined();
  });

  it('unreachable, timed out and too large become the gateway’s errors with the contract’s statuses', () => {
    expect(envoyReplyError('upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}', 503)).toMatchObject({ code: 'upstream_unavailable', status: 503 });
    expect(envoyReplyError('no_healthy_upstream', 503)).toMatchObject({ code: 'upstream_unavailable', status: 503 });
    expect(envoyReplyError('upstream_response_timeout', 504)).toMatchObject({ code: 'upstream_timeout', status: 504 });
    expect(envoyReplyError('request_payload_too_large', 413)).toMatchObject({ code: 'request_too_large', status: 413 });
    // Something else Envoy says (a route's direct response, say) is not guessed at.
    expect(envoyReplyError('direct_response', 404)).toBeUndefined();
  });

  it('reads the attribute from whichever filter sent it; absent (the standalone bootstrap) is undefined', () => {
    expect(codeDetails({ 'envoy.filters.http.ext_proc': toStruct({ 'response.code_details': 'via_upstream' }) })).toBe('via_upstream');
    expect(codeDetails({})).toBeUndefined();
    expect(codeDetails(undefined)).toBeUndefined();
  });
});
