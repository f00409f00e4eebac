import { describe, expect, it } from 'vitest';
import { FAILURE_HOLD_MAX_MS, FAILURE_HOLD_MS, REFRESH_EARLY_MS, RefreshingCredential, STALE_MARGIN_MS } from '../../src/auth/refresh.js';

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

  it('shares one in-flight fetch among concurrent requests', async () => {
    let calls = 0;
    const cred = new RefreshingCredential(async () => {
      calls++;
      await new Promise((ok) => setTimeout(ok, 5));
      throw new Error('boom');
    });
    const all = await Promise.allSettled([cred.get(), cred.get(), cred.get()]);
    expect(all.every((r) => r.status === 'rejected' && /boom/.test(String(r.reason)))).toBe(true);
    expect(calls).toBe(1);
  });

  it('answers from memory for a growing while after a failure with nothing usable, and a success resets it', async () => {
    let now = 0;
    let calls = 0;
    let fail = true;
    const cred = new RefreshingCredential(async () => {
      calls++;
      if (fail) throw new Error(`down #${calls}`);
      return { value: 'ok', expiresAt: undefined };
    }, () => now);
    await expect(cred.get()).rejects.toThrow('down #1');
    now = FAILURE_HOLD_MS - 1; // within the first hold: the same failure, no new fetch
    await expect(cred.get()).rejects.toThrow('down #1');
    expect(calls).toBe(1);
    now = FAILURE_HOLD_MS;
    await expect(cred.get()).rejects.toThrow('down #2');
    now += 2 * FAILURE_HOLD_MS - 1; // the second failure in a row is held twice as long
    await expect(cred.get()).rejects.toThrow('down #2');
    now += 1;
    fail = false;
    expect(await cred.get()).toBe('ok');
    expect(calls).toBe(3);
  });

  it('holds a failure at most FAILURE_HOLD_MAX_MS however long the endpoint stays down', async () => {
    let now = 0;
    let calls = 0;
    const cred = new RefreshingCredential(async () => {
      calls++;
      throw new Error('down');
    }, () => now);
    for (let i = 0; i < 12; i++) {
      await expect(cred.get()).rejects.toThrow('down');
      now += FAILURE_HOLD_MAX_MS; // always past the hold, which stops doubling at the cap
    }
    expect(calls).toBe(12);
  });

  it('a failed early refresh keeps serving the still-valid credential and does not hold the failure against it', async () => {
    let now = 0;
    let fail = false;
    let calls = 0;
    const cred = new RefreshingCredential(async () => {
      calls++;
      if (fail) throw new Error('blip');
      return { value: `c${calls}`, expiresAt: now + 60 * 60_000 };
    }, () => now);
    expect(await cred.get()).toBe('c1');
    fail = true;
    now = 60 * 60_000 - REFRESH_EARLY_MS + 1;
    expect(await cred.get()).toBe('c1');
    fail = false;
    expect(await cred.get()).toBe('c3'); // tried again at once: the cached one was still good
  });
});
