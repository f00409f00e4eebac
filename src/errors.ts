// The small set of errors the gateway itself makes; each maps to one status and
// code from the product contract. Anything else thrown is an internal error.

/** A gateway-made error, as each dialect renders it in its JSON error shape. */
export interface ErrorShape {
  status: number;
  code: string;
  message: string;
  param?: string;
}

export type GatewayErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'missing_model'
  | 'template_value_missing'
  | 'missing_credentials'
  | 'invalid_api_key'
  | 'forbidden'
  | 'backend_not_found'
  | 'model_not_found'
  | 'unsupported_endpoint'
  | 'unsupported_field'
  | 'request_too_large'
  | 'request_headers_too_large'
  | 'upstream_response_invalid'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'credential_unavailable'
  | 'internal_error';

const STATUS: Record<GatewayErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  missing_model: 400,
  template_value_missing: 400,
  unsupported_field: 400,
  missing_credentials: 401,
  invalid_api_key: 401,
  forbidden: 403,
  backend_not_found: 404,
  model_not_found: 404,
  unsupported_endpoint: 404,
  request_too_large: 413,
  request_headers_too_large: 431,
  upstream_response_invalid: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  credential_unavailable: 503,
  internal_error: 500,
};

export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }

  shape(): ErrorShape {
    return { status: this.status, code: this.code, message: this.message, ...(this.param ? { param: this.param } : {}) };
  }
}
