// Reads usage and the answering model from an Anthropic Messages response that passes
// to the client untouched (Anthropic itself, Claude on Vertex): the message body's
// usage, or message_start + message_delta events in a stream. Counting never breaks
// the response: a body it cannot read only stops the counting.
import type { ResponseProgress } from '../../usage/progress.js';
import type { Usage } from '../../usage/types.js';
import { BodyCollector } from '../shared/body.js';
import { AnthropicEventReader } from './events.js';
import { AnthropicUsageTracker } from './usage.js';

const MAX_USAGE_SCAN_BYTES = 32 * 1024 * 1024;

export class AnthropicResponseObserver {
  private mode: 'plain' | 'stream' | 'off' = 'off';
  private readonly tracker = new AnthropicUsageTracker();
  private readonly reader = new AnthropicEventReader();
  private readonly collector = new BodyCollector(MAX_USAGE_SCAN_BYTES);

  /** Starts reading a successful, uncompressed response of this content type. */
  watch(contentType: string): void {
    this.mode = contentType.includes('text/event-stream') ? 'stream' : 'plain';
  }

  push(chunk: Buffer, end: boolean): void {
    try {
      if (this.mode === 'stream') for (const { event } of this.reader.push(chunk, end)) this.tracker.observe(event);
      else if (this.mode === 'plain') {
        const whole = this.collector.push(chunk, end);
        if (whole) this.tracker.observeMessage(JSON.parse(whole.toString('utf8')) as Record<string, unknown>);
      }
    } catch {
      this.mode = 'off';
    }
  }

  usage(): Usage {
    return this.tracker.usage();
  }

  get model(): string | undefined {
    return this.tracker.model;
  }

  get progress(): ResponseProgress {
    return this.tracker.progress;
  }
}

/** True when a response body arrives compressed (and so cannot be read on the way). */
export function isEncoded(headers: ReadonlyMap<string, string>): boolean {
  return !['', 'identity'].includes((headers.get('content-encoding') ?? '').trim().toLowerCase());
}
