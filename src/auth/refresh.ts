// A cached credential that is refreshed before it expires: the AWS and Entra chains hand
// out credentials with an expiry, and a request must never be signed with one that has
// passed it. Concurrent requests share one in-flight fetch; a failed fetch is not cached.

/** Refresh this long before expiry, or at half the lifetime of a short-lived credential. */
export const REFRESH_EARLY_MS = 5 * 60 * 1000;

export interface Expiring<T> {
  value: T;
  /** Epoch ms after which the credential is no longer valid; undefined: it does not expire. */
  expiresAt: number | undefined;
}

export class RefreshingCredential<T> {
  private cached: { value: T; expiresAt: number | undefined; refreshAt: number } | undefined;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly fetch: () => Promise<Expiring<T>>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<T> {
    const now = this.now();
    if (this.cached && now < this.cached.refreshAt) return this.cached.value;
    return (this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    }));
  }

  private async refresh(): Promise<T> {
    const fetchedAt = this.now();
    const got = await this.fetch();
    if (got.expiresAt === undefined) {
      this.cached = { value: got.value, expiresAt: undefined, refreshAt: Infinity };
      return got.value;
    }
    // A chain may hand back what it cached itself: expired means unusable, not "try it".
    if (got.expiresAt <= this.now()) throw new ExpiredCredentialError(got.expiresAt);
    const lifetime = got.expiresAt - fetchedAt;
    this.cached = { value: got.value, expiresAt: got.expiresAt, refreshAt: got.expiresAt - Math.min(REFRESH_EARLY_MS, lifetime / 2) };
    return got.value;
  }
}

export class ExpiredCredentialError extends Error {
  constructor(expiresAt: number) {
    super(`the credential chain returned a credential that expired at ${new Date(expiresAt).toISOString()}`);
  }
}
