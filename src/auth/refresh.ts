// A cached credential that is refreshed before it expires: the AWS and Entra chains hand
// out credentials with an expiry, and a request must never be signed with one that has
// passed it. Concurrent requests share one in-flight fetch; a failed fetch is not cached.
// A refresh that fails while the cached credential is still good for a while keeps
// using it (an endpoint's blip in the early-refresh window fails no request).
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

export class RefreshingCredential<T> {
  private cached: { value: T; refreshAt: number; usableUntil: number } | undefined;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly fetch: () => Promise<Expiring<T>>,
    private readonly now: () => number = Date.now,
    private readonly describe = 'credential',
  ) {}

  async get(): Promise<T> {
    const now = this.now();
    if (this.cached && now < this.cached.refreshAt) return this.cached.value;
    const refresh = (this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    }));
    try {
      return await refresh;
    } catch (err) {
      const cached = this.cached;
      if (!cached || this.now() >= cached.usableUntil) throw err;
      logger.warn({ credential: this.describe, err: (err as Error).message }, 'credential refresh failed; the cached one is still valid and stays in use');
      return cached.value;
    }
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
