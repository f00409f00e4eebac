// Anthropic's Messages stream as typed events, from bytes in arbitrary chunks.
// Framing is plain SSE (`event:` + one JSON `data:` line per event); the JSON's
// own `type` is authoritative, the `event:` name is only a hint. Reused by every
// provider that serves Claude over SSE (Anthropic, Vertex AI rawPredict).
import type { StreamEvent, UnknownEvent } from '../../dialects/anthropic/types.js';
import { GatewayError } from '../../errors.js';
import { type SseEvent, SseParser } from '../../usage/sse.js';

export type AnthropicEvent = StreamEvent | UnknownEvent;

export interface ReadEvent {
  /** The parsed event. */
  event: AnthropicEvent;
  /** Its bytes as received, for streams forwarded untouched. */
  raw: string;
}

export class AnthropicEventReader {
  private readonly sse = new SseParser();

  /** Feeds bytes; returns the events they complete. `end` flushes an unterminated last event. */
  push(chunk: Uint8Array, end = false): ReadEvent[] {
    const out: ReadEvent[] = [];
    for (const ev of this.sse.push(chunk, end)) this.collect(ev, out);
    return out;
  }

  private collect(ev: SseEvent, out: ReadEvent[]): void {
    const parsed = parseEventData(ev);
    if (parsed) out.push({ event: parsed, raw: ev.raw });
  }
}

/** One SSE event's JSON; undefined for comment-only or data-less events. Throws on bad JSON. */
export function parseEventData(ev: Pick<SseEvent, 'event' | 'data'>): AnthropicEvent | undefined {
  if (ev.data === undefined || ev.data.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(ev.data);
  } catch {
    throw new GatewayError('upstream_response_invalid', `the provider sent a stream event that is not JSON (event ${ev.event ?? 'message'})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError('upstream_response_invalid', 'the provider sent a stream event that is not a JSON object');
  }
  const obj = parsed as { type?: unknown };
  // An event without `type` in its JSON still names itself in the SSE `event:` field.
  if (typeof obj.type !== 'string') {
    if (!ev.event) throw new GatewayError('upstream_response_invalid', 'the provider sent a stream event without a type');
    return { ...(parsed as object), type: ev.event } as AnthropicEvent;
  }
  return parsed as AnthropicEvent;
}
