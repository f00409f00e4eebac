// Collects a non-streamed response body across Envoy's chunks, for translators
// that must see the whole JSON document before they can rewrite it.
export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024 * 1024) {}

  /** Adds a chunk; returns the whole body once `end` is true, else undefined. */
  push(chunk: Buffer, end: boolean): Buffer | undefined {
    if (chunk.length > 0) {
      this.size += chunk.length;
      if (this.size > this.limit) throw new Error(`response body over ${this.limit} bytes`);
      this.chunks.push(chunk);
    }
    if (!end) return undefined;
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}
