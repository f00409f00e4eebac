// Envoy's own replies (a provider it cannot reach, a timeout) where no local_reply_config gives
// them the client's shape: under Envoy Gateway, which has no per-dialect reply mapping, they
// reach the client as Envoy's plain text. Given the reply's `response.code_details` (a response
// attribute the EnvoyExtensionPolicy asks for), the processor tells them from a provider's
// answer ("via_upstream") and renders them as the gateway's own errors.
import { GatewayError } from '../errors.js';
import type { Struct } from '../extproc/types.js';
import { fromStruct } from '../extproc/struct.js';

export const CODE_DETAILS_ATTRIBUTE = 'response.code_details';

/** The reply's code details, when Envoy sent them (only a config that asks for the attribute does). */
export function codeDetails(attributes: Record<string, Struct> | undefined): string | undefined {
  if (!attributes) return undefined;
  for (const perFilter of Object.values(attributes)) {
    const v = fromStruct(perFilter)[CODE_DETAILS_ATTRIBUTE];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The gateway error an Envoy reply stands for; undefined for a provider's answer or a reply this gateway made. */
export function envoyReplyError(details: string, status: number): GatewayError | undefined {
  if (details === 'via_upstream' || details.startsWith('llm_extproc_') || details.startsWith('ext_proc')) return undefined;
  if (status === 504 || /timeout/.test(details)) return new GatewayError('upstream_timeout', `the provider did not answer in time (${details})`);
  if (status === 503 && /^(upstream_reset_before_response_started|no_healthy_upstream|cluster_not_found|maintenance_mode|upstream_overflow|overload)/.test(details)) {
    return new GatewayError('upstream_unavailable', `the provider could not be reached (${details})`);
  }
  if (status === 413 && details === 'request_payload_too_large') return new GatewayError('request_too_large', 'the request body is over the gateway limit');
  return undefined;
}
