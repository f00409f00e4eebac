// Gateway keys: who is calling. A client presents its key where its SDK puts one (OpenAI's
// Bearer, Anthropic's x-api-key, Azure's api-key, Gemini's x-goog-api-key or ?key=); the gateway knows only
// SHA-256 hashes of keys, compares them in constant time, and takes the key off the request
// so it never reaches a provider.
import { createHash, timingSafeEqual } from 'node:crypto';
import { secretFrom, type Secret, type SecretSource } from './secrets.js';
import { clientCredential } from './static-key.js';

export interface ClientKeySource {
  sha256?: string;
  secretRef?: SecretSource;
}

export interface Principal {
  name: string;
  /** Globs of backend and pool names; undefined: all. */
  backends?: RegExp[];
  /** Globs of models; undefined: all. */
  models?: RegExp[];
}

/** Where the presented key was, so it can be removed: a header, or the `key` query parameter. */
export type KeyLocation = { header: string } | { query: 'key' };

export interface Presented {
  key: string;
  at: KeyLocation;
}

interface StoredKey {
  principal: Principal;
  /** The hash now: fixed, or of the secret's current value (a rotated file is seen on its next read). */
  digest(): Buffer | undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function fromSecret(secret: Secret): () => Buffer | undefined {
  let last: { value: string; digest: Buffer } | undefined;
  return () => {
    const v = secret.value();
    if (!v) return undefined;
    if (last?.value !== v) last = { value: v, digest: sha256(v) };
    return last.digest;
  };
}

/** The key a request carries, wherever its SDK put it: the headers a provider credential comes in, else `?key=`. */
export function presentedKey(headers: ReadonlyMap<string, string>, query: string): Presented | undefined {
  const found = clientCredential(headers);
  if (found?.key) return { key: found.key, at: { header: found.header } };
  const q = query ? new URLSearchParams(query).get('key') : null;
  return q ? { key: q, at: { query: 'key' } } : undefined;
}

export class ClientKeys {
  private readonly keys: StoredKey[] = [];

  add(principal: Principal, source: ClientKeySource): void {
    if (source.sha256) {
      const fixed = Buffer.from(source.sha256.toLowerCase(), 'hex');
      this.keys.push({ principal, digest: () => fixed });
    } else if (source.secretRef) {
      this.keys.push({ principal, digest: fromSecret(secretFrom(source.secretRef)) });
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** The principal whose key this is. Every stored key is compared, so the time taken says nothing of which matched. */
  authenticate(key: string): Principal | undefined {
    const d = sha256(key);
    let found: Principal | undefined;
    for (const k of this.keys) {
      const stored = k.digest();
      if (stored && stored.length === d.length && timingSafeEqual(stored, d) && !found) found = k.principal;
    }
    return found;
  }
}

export function allows(globs: RegExp[] | undefined, value: string): boolean {
  return globs === undefined || globs.some((g) => g.test(value));
}
