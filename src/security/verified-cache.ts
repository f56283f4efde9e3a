import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers which (credential, stored hash) pairs verified, so a client that sends the same
 * token on every request pays for scrypt once, not per request. Keys are HMACs under a key that
 * lives only in this process, so the cache holds nothing that verifies a credential elsewhere.
 * An entry is tied to the stored hash it was checked against: a changed password or a reissued
 * secret misses. Expiry and revocation are checked on the stored row each time, never cached.
 */
export class VerifiedCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  has(credential: string, storedHash: string): boolean {
    return this.#entries.get(this.#digest(credential)) === storedHash;
  }

  add(credential: string, storedHash: string): void {
    const digest = this.#digest(credential);
    this.#entries.delete(digest);
    this.#entries.set(digest, storedHash);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  #digest(credential: string): string {
    return createHmac('sha256', this.#key).update(credential).digest('base64url');
  }
}
