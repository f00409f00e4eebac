// The gRPC stream loop: one ext_proc stream per HTTP request. It owns ordering and
// replies; the RequestProcessor owns what each reply says. Messages are handled
// strictly one after another, even when a phase awaits (signing, token minting).
import type * as grpc from '@grpc/grpc-js';
import type { RuntimeConfig } from '../config/compile.js';
import { createProcessor } from '../processor/index.js';
import { type Logger, requestLogger } from '../logger.js';
import { countMessage, streamsActive } from '../telemetry/metrics.js';
import { BodySendMode, type ProcessingRequest, type ProcessingResponse } from '../extproc/types.js';

export type ProcessCall = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

function metadataMap(md: grpc.Metadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(md.getMap())) out.set(k.toLowerCase(), Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  return out;
}

/**
 * Whether this reply is the stream's last: nothing Envoy could still send needs an answer
 * (trailers are never asked for). Closing the stream then tells Envoy so; left open, Envoy
 * resets it once the HTTP request is done, and Node builds an error, stack trace included,
 * for every reset.
 */
function lastReply(req: ProcessingRequest, reply: ProcessingResponse): boolean {
  if (reply.immediate_response) return true;
  if (req.request === 'response_body') return req.response_body?.end_of_stream === true;
  if (req.request === 'response_headers') return req.response_headers?.end_of_stream === true || reply.mode_override?.response_body_mode === BodySendMode.NONE;
  return false;
}

export function handleProcessStream(call: ProcessCall, config: RuntimeConfig, log: Logger): void {
  streamsActive.inc();
  const processor = createProcessor(config, metadataMap(call.metadata), requestLogger(log));
  // Messages wait here while a phase awaits; otherwise each is answered as it arrives.
  const queue: ProcessingRequest[] = [];
  let busy = false;
  let closed = false;
  let inputEnded = false;
  let counted = true;
  let settle = false;

  const deliver = (req: ProcessingRequest, reply: ProcessingResponse) => {
    // Envoy expects no reply in observability mode; the phase still ran, for accounting.
    if (closed || req.observability_mode) return;
    try {
      call.write(reply);
      if (lastReply(req, reply)) {
        closed = true;
        call.end();
      }
    } catch (err) {
      // A reply that cannot be written (a message too large for the channel) ends this stream, not the processor.
      closed = true;
      processor.log.error({ err }, 'writing an ext_proc reply failed');
      call.destroy();
    }
  };

  // Envoy ends every stream, after the last reply or early (the client hung up): the
  // processor then settles its accounting, once, after any phase still running.
  const release = () => {
    if (!counted) return;
    counted = false;
    streamsActive.dec();
    settle = true;
    if (!busy) drain();
  };

  function drain(): void {
    while (queue.length > 0) {
      const req = queue.shift()!;
      if (closed) continue;
      let reply: ProcessingResponse | Promise<ProcessingResponse>;
      try {
        reply = processor.handle(req);
      } catch (err) {
        // handle() maps every error itself; this is a last resort that still answers in order.
        reply = processor.fail(err);
      }
      if (reply instanceof Promise) {
        busy = true;
        reply
          .catch((err: unknown) => processor.fail(err))
          .then((r) => deliver(req, r))
          .finally(() => {
            busy = false;
            drain();
          });
        return;
      }
      deliver(req, reply);
    }
    if (inputEnded && !closed) {
      closed = true;
      call.end();
    }
    if (inputEnded) release();
    if (settle) {
      settle = false;
      try {
        processor.close();
      } catch (err) {
        processor.log.error({ err }, 'settling a closed stream failed');
      }
    }
  }

  call.on('data', (req: ProcessingRequest) => {
    countMessage(req.request ?? 'unknown');
    queue.push(req);
    if (!busy) drain();
  });

  call.on('end', () => {
    inputEnded = true;
    if (!busy) drain();
  });

  call.on('error', (err: grpc.ServiceError) => {
    closed = true;
    release();
    // Envoy resets streams rather than half-closing them: CANCELLED is routine.
    if (err.code === 1) processor.log.debug('ext_proc stream cancelled by Envoy');
    else processor.log.warn({ code: err.code, details: err.details }, 'ext_proc stream error');
  });

  call.on('cancelled', () => {
    closed = true;
    release();
  });

  call.on('close', release);
}
