// Which processor a stream gets: Envoy's upstream filter (in a pool's cluster) says so in the
// gRPC initial metadata the generated config gives it; every other stream is the router-level filter's.
import type { RuntimeConfig } from '../config/compile.js';
import { UPSTREAM_FILTER_METADATA } from '../envoy/metadata-keys.js';
import type { ProcessingRequest, ProcessingResponse } from '../extproc/types.js';
import type { Logger } from '../logger.js';
import { AttemptProcessor } from './attempt.js';
import { RequestProcessor } from './request.js';

export interface StreamProcessor {
  log: Logger;
  /** The reply; a promise only when the phase awaits (signing, token minting, the first body). */
  handle(req: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse>;
  /** An answer for a failure the processor did not map itself. */
  fail(err: unknown): ProcessingResponse;
  /** Envoy ended the stream. */
  close(): void;
}

export function createProcessor(config: RuntimeConfig, grpcMetadata: ReadonlyMap<string, string>, log: Logger): StreamProcessor {
  if (grpcMetadata.get(UPSTREAM_FILTER_METADATA.key) === UPSTREAM_FILTER_METADATA.value) return new AttemptProcessor({ config, grpcMetadata, log });
  return new RequestProcessor({ config, grpcMetadata, log });
}
