// Incremental Server-Sent Events framing. Bytes arrive in arbitrary chunks from
// Envoy; an event is complete at a blank line. Each event keeps its raw bytes so
// a same-dialect stream can be forwarded byte-identical, minus dropped events.

export interface SseEvent {
  /** The event's bytes including its terminating blank line. */
  raw: string;
  event?: string;
  /** The data lines joined by '\n' (undefined when the event had none). */
  data?: string;
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/g;

export class SseParser {
  private buffer = '';
  private readonly decoder = new TextDecoder('utf-8');

  /**
   * Feeds bytes; returns the events completed by them. With `end`, the stream is over:
   * whatever is left (a last event without its blank line, or one cut short) comes too.
   */
  push(chunk: Uint8Array, end = false): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(this.buffer); m; m = BOUNDARY.exec(this.buffer)) {
      // A lone '\r' at the very end may be the first half of '\r\n': wait for more.
      const end = m.index + m[0].length;
      if (m[0] === '\r\r' && end === this.buffer.length) break;
      events.push(parseEvent(this.buffer.slice(start, end)));
      start = end;
    }
    this.buffer = this.buffer.slice(start);
    if (end) {
      const rest = this.flush();
      if (rest) events.push(rest);
    }
    return events;
  }

  /** Whatever is left when the stream ends (an event cut short, or a last event without its blank line). */
  flush(): SseEvent | undefined {
    this.buffer += this.decoder.decode();
    if (this.buffer.trim() === '') {
      this.buffer = '';
      return undefined;
    }
    const ev = parseEvent(this.buffer);
    this.buffer = '';
    return ev;
  }

  get pending(): number {
    return this.buffer.length;
  }
}

function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data: string[] | undefined;
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') (data ??= []).push(value);
    else if (field === 'event') event = value;
  }
  return { raw, event, data: data?.join('\n') };
}

/** Serialises one event (for translators that build new streams). */
export function sseEvent(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${data}\n\n`;
}
