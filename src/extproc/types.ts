// TypeScript shapes of the ext_proc messages as @grpc/proto-loader hands them over
// (keepCase, oneofs, bytes as Buffer, enums as names on decode). Only what we use.

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}

// google.protobuf.* come from protobufjs' bundled descriptors, whose field names are
// camelCase even with keepCase: a Value is {stringValue}, not {string_value}.
export interface StructValue {
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: { values?: StructValue[] };
  kind?: string;
}

export interface Struct {
  fields?: Record<string, StructValue>;
}

export interface HttpHeaders {
  headers?: { headers?: HeaderValue[] };
  end_of_stream?: boolean;
}

export interface HttpBody {
  body?: Buffer;
  end_of_stream?: boolean;
}

export type RequestKind =
  | 'request_headers'
  | 'response_headers'
  | 'request_body'
  | 'response_body'
  | 'request_trailers'
  | 'response_trailers';

export interface ProcessingRequest {
  request?: RequestKind;
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: { trailers?: { headers?: HeaderValue[] } };
  response_trailers?: { trailers?: { headers?: HeaderValue[] } };
  metadata_context?: { filter_metadata?: Record<string, Struct> };
  attributes?: Record<string, Struct>;
  observability_mode?: boolean;
}

export const HeaderSendMode = { DEFAULT: 0, SEND: 1, SKIP: 2 } as const;
export const BodySendMode = { NONE: 0, STREAMED: 1, BUFFERED: 2, BUFFERED_PARTIAL: 3, FULL_DUPLEX_STREAMED: 4 } as const;

export interface ProcessingMode {
  request_header_mode?: number;
  response_header_mode?: number;
  request_body_mode?: number;
  response_body_mode?: number;
  request_trailer_mode?: number;
  response_trailer_mode?: number;
}

export interface HeaderMutation {
  set_headers?: { header: HeaderValue; append?: { value: boolean } }[];
  remove_headers?: string[];
}

/** CommonResponse.status: CONTINUE_AND_REPLACE in a headers reply also replaces the body (a body where there was none). */
export const CommonResponseStatus = { CONTINUE: 0, CONTINUE_AND_REPLACE: 1 } as const;

export interface CommonResponse {
  status?: number;
  header_mutation?: HeaderMutation;
  body_mutation?: { body?: Buffer; clear_body?: boolean };
  clear_route_cache?: boolean;
}

export interface ImmediateResponse {
  status: { code: number };
  headers?: HeaderMutation;
  body?: Buffer;
  details?: string;
}

export interface ProcessingResponse {
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: { header_mutation?: HeaderMutation };
  response_trailers?: { header_mutation?: HeaderMutation };
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: Struct;
  mode_override?: ProcessingMode;
}
