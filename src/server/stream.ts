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
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  let counted = true;

  // Envoy ends every stream, after the last reply or early (the client hung up): the
  // processor then settles its accounting, once, after any phase still running.
  const release = () => {
    if (counted) {
      counted = false;
      streamsActive.dec();
      chain = chain.then(() => {
        try {
          processor.close();
        } catch (err) {
          processor.log.error({ err }, 'settling a closed stream failed');
        }
      });
    }
  };

  call.on('data', (req: ProcessingRequest) => {
    countMessage(req.request ?? 'unknown');
    chain = chain.then(async () => {
      if (closed) return;
      if (req.observability_mode) {
        // Envoy expects no reply in observability mode; still run the phase for accounting.
        await processor.handle(req);
        return;
      }
      let reply: ProcessingResponse;
      try {
        reply = await processor.handle(req);
      } catch (err) {
        // handle() maps every error itself; this is a last resort that still answers in order.
        reply = processor.fail(err);
      }
      if (closed) return;
      call.write(reply);
      if (lastReply(req, reply)) {
        closed = true;
        call.end();
      }
    });
  });

  call.on('end', () => {
    void chain.then(() => {
      if (!closed) call.end();
      closed = true;
      release();
    });
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
