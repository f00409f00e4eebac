import { describe, expect, it } from 'vitest';
import { REFRESH_EARLY_MS, RefreshingCredential, STALE_MARGIN_MS } from '../../src/auth/refresh.js';

describe('RefreshingCredential', () => {
  it('caches until shortly before expiry, then fetches again', async () => {
    let now = 1_000_000;
    let n = 0;
    const cred = new RefreshingCredential(async () => ({ value: `c${++n}`, expiresAt: now + 60 * 60_000 }), () => now);
    expect(await cred.get()).toBe('c1');
    now += 60 * 60_000 - REFRESH_EARLY_MS - 1;
    expect(await cred.get()).toBe('c1');
    now += 2;
    expect(await cred.get()).toBe('c2');
  });

  it('refreshes a short-lived credential at half its lifetime', async () => {
    let now = 0;
    let n = 0;
    const cred = new RefreshingCredential(async () => ({ value: ++n, expiresAt: now + 10_000 }), () => now);
    await cred.get();
    now = 4_999;
    expect(await cred.get()).toBe(1);
    now = 5_000;
    expect(await cred.get()).toBe(2);
  });

  it('never hands out an expired credential', async () => {
    let now = 0;
    const cred = new RefreshingCredential(async () => ({ value: 'stale', expiresAt: now - 1 }), () => now);
    await expect(cred.get()).rejects.toThrow(/expired/);
    now = 10;
    await expect(cred.get()).rejects.toThrow(/expired/);
  });

  it('keeps a still-valid credential when a refresh fails, until close to its expiry', async () => {
    let now = 0;
    let fail = false;
    const cred = new RefreshingCredential(async () => {
      if (fail) throw new Error('endpoint down');
      return { value: 'c1', expiresAt: now + 60 * 60_000 };
    }, () => now);
    await cred.get();
    fail = true;
    now = 60 * 60_000 - REFRESH_EARLY_MS + 1; // in the early-refresh window
    expect(await cred.get()).toBe('c1');
    now = 60 * 60_000 - STALE_MARGIN_MS; // too close to expiry to sign with
    await expect(cred.get()).rejects.toThrow(/endpoint down/);
  });

  it('shares one in-flight fetch and does not cache a failure', async () => {
    let calls = 0;
    let fail = true;
    const cred = new RefreshingCredential(async () => {
      calls++;
      await new Promise((ok) => setTimeout(ok, 5));
      if (fail) throw new Error('boom');
      return { value: 'ok', expiresAt: undefined };
    });
    const all = await Promise.allSettled([cred.get(), cred.get(), cred.get()]);
    expect(all.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    fail = false;
    expect(await cred.get()).toBe('ok');
    expect(await cred.get()).toBe('ok');
    expect(calls).toBe(2);
  });
});
