// AWS event stream framing (`application/vnd.amazon.eventstream`), read incrementally.
// Bedrock's ConverseStream sends binary frames: a 12-byte prelude (total length,
// headers length, prelude CRC), typed headers, a payload and a message CRC. Envoy
// hands us the bytes in arbitrary chunks, so partial frames are buffered until the
// prelude's total length has arrived; the codec then checks both CRCs and decodes.
import type { EventStreamCodec } from '@smithy/eventstream-codec';
import { lazyModule } from '../lazy.js';

const codecModule = lazyModule<typeof import('@smithy/eventstream-codec')>('@smithy/eventstream-codec');
const utf8 = lazyModule<typeof import('@smithy/util-utf8')>('@smithy/util-utf8');
/** Bedrock's framing, made when the first Bedrock stream arrives. */
function newCodec(): EventStreamCodec {
  const { fromUtf8, toUtf8 } = utf8();
  return new (codecModule().EventStreamCodec)(toUtf8, fromUtf8);
}

/** One decoded frame: header values as strings (Bedrock only sends string headers) and the raw payload. */
export interface EventStreamMessage {
  headers: Record<string, string>;
  body: Uint8Array;
}

const MIN_FRAME_BYTES = 16; // prelude + message CRC, no headers, no payload
// A frame announcing more than this is garbage (or an error page), not a model event.
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class EventStreamError extends Error {
  /** Whole frames that came before the bad bytes in the same push: still the caller's to deliver. */
  decoded: EventStreamMessage[] = [];
}

export class EventStreamDecoder {
  private readonly codec = newCodec();
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feeds bytes; returns the frames they complete, in order. */
  push(chunk: Uint8Array): EventStreamMessage[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const out: EventStreamMessage[] = [];
    try {
      for (;;) {
        const need = this.frameLength();
        if (need === undefined || this.buffered < need) return out;
        // Join only once a whole frame is here: byte-at-a-time input stays linear.
        const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
        const frame = all.subarray(0, need);
        const rest = all.subarray(need);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.buffered = rest.length;
        out.push(this.decode(frame));
      }
    } catch (err) {
      // What a client receives must not depend on how TCP cut the bytes: the frames before the garbage count.
      if (err instanceof EventStreamError) err.decoded = out;
      throw err;
    }
  }

  /** Bytes of a frame cut short, if any (the stream ended mid-frame when non-zero at the end). */
  get pending(): number {
    return this.buffered;
  }

  private frameLength(): number | undefined {
    if (this.buffered < 4) return undefined;
    // Merge once so the first chunk holds the length; later calls read it directly.
    if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    const total = this.chunks[0]!.readUInt32BE(0);
    if (total < MIN_FRAME_BYTES || total > MAX_FRAME_BYTES) {
      throw new EventStreamError(`event stream frame announces ${total} bytes; not an AWS event stream`);
    }
    return total;
  }

  private decode(frame: Buffer): EventStreamMessage {
    let decoded;
    try {
      decoded = this.codec.decode(frame);
    } catch (err) {
      throw new EventStreamError(`invalid event stream frame: ${(err as Error).message}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, h] of Object.entries(decoded.headers as Record<string, { value: unknown }>)) {
      headers[name] = typeof h.value === 'string' ? h.value : String(h.value);
    }
    return { headers, body: decoded.body };
  }
}

/** The JSON payload of a frame, or undefined when it is empty. */
export function eventJson(m: EventStreamMessage): unknown {
  if (m.body.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(m.body).toString('utf8'));
  } catch (err) {
    throw new EventStreamError(`event stream payload is not JSON: ${(err as Error).message}`);
  }
}

/** Encodes one frame with string headers (fixture generators and tests build streams with it). */
export function encodeEvent(headers: Record<string, string>, body: Uint8Array | string): Uint8Array {
  const typed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }]));
  return newCodec().encode({ headers: typed, body: typeof body === 'string' ? utf8().fromUtf8(body) : body });
}
