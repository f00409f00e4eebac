// A cached credential that is refreshed before it expires: the AWS and Entra chains hand
// out credentials with an expiry, and a request must never be signed with one that has
// passed it. Concurrent requests share one in-flight fetch. A refresh that fails while
// the cached credential is still good for a while keeps using it (an endpoint's blip in
// the early-refresh window fails no request). With nothing usable, a failure is kept for
// a short, growing while (1 s doubling to 30 s, reset by a success): a chain whose
// endpoint is down can take 12-25 s to give up (Azure's managed identity retries with
// backoff), and every request that came next would wait that long again for the same
// answer, holding its stream open close to Envoy's message timeout.
import { logger } from '../logger.js';

/** Refresh this long before expiry, or at half the lifetime of a short-lived credential. */
export const REFRESH_EARLY_MS = 5 * 60 * 1000;

export interface Expiring<T> {
  value: T;
  /** Epoch ms after which the credential is no longer valid; undefined: it does not expire. */
  expiresAt: number | undefined;
}

/** A cached credential is used after a failed refresh until this close to expiry (or a quarter of its lifetime). */
export const STALE_MARGIN_MS = 10_000;

/** How long the first failure with nothing cached is answered from memory; it doubles per failure in a row. */
export const FAILURE_HOLD_MS = 1_000;
export const FAILURE_HOLD_MAX_MS = 30_000;

export class RefreshingCredential<T> {
  private cached: { value: T; refreshAt: number; usableUntil: number } | undefined;
  private inflight: Promise<T> | undefined;
  private failed: { err: unknown; until: number; streak: number } | undefined;

  constructor(
    private readonly fetch: () => Promise<Expiring<T>>,
    private readonly now: () => number = Date.now,
    private readonly describe = 'credential',
  ) {}

  async get(): Promise<T> {
    const now = this.now();
    if (this.cached && now < this.cached.refreshAt) return this.cached.value;
    const usable = this.cached !== undefined && now < this.cached.usableUntil;
    if (!usable && this.failed && now < this.failed.until && !this.inflight) throw this.failed.err;
    const refresh = (this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    }));
    try {
      const value = await refresh;
      this.failed = undefined;
      return value;
    } catch (err) {
      const cached = this.cached;
      if (!cached || this.now() >= cached.usableUntil) {
        this.holdFailure(err);
        throw err;
      }
      logger.warn({ credential: this.describe, err: (err as Error).message }, 'credential refresh failed; the cached one is still valid and stays in use');
      return cached.value;
    }
  }

  /** Keeps a failure for the next requests (once per fetch: callers sharing it share the entry). */
  private holdFailure(err: unknown): void {
    if (this.failed?.err === err) return;
    const streak = (this.failed?.streak ?? 0) + 1;
    const hold = Math.min(FAILURE_HOLD_MS * 2 ** (streak - 1), FAILURE_HOLD_MAX_MS);
    this.failed = { err, until: this.now() + hold, streak };
  }

  private async refresh(): Promise<T> {
    const fetchedAt = this.now();
    const got = await this.fetch();
    if (got.expiresAt === undefined) {
      this.cached = { value: got.value, refreshAt: Infinity, usableUntil: Infinity };
      return got.value;
    }
    // A chain may hand back what it cached itself: expired means unusable, not "try it".
    if (got.expiresAt <= this.now()) throw new ExpiredCredentialError(got.expiresAt);
    const lifetime = got.expiresAt - fetchedAt;
    this.cached = {
      value: got.value,
      refreshAt: got.expiresAt - Math.min(REFRESH_EARLY_MS, lifetime / 2),
      usableUntil: got.expiresAt - Math.min(STALE_MARGIN_MS, lifetime / 4),
    };
    return got.value;
  }
}

export class ExpiredCredentialError extends Error {
  constructor(expiresAt: number) {
    super(`the credential chain returned a credential that expired at ${new Date(expiresAt).toISOString()}`);
  }
}

/** A chain's error as one bounded line for a client's error body and the log. */
export function failureText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').slice(0, 300);
}
