import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets (passwords, token secrets) are stored only as `scrypt$<N>$<r>$<p>$<salt>$<hash>`
 * (base64url salt and hash). The parameters travel with each hash so they can be raised later
 * without invalidating what is stored; N = 2^14, r = 8 takes about 16 MiB and tens of
 * milliseconds, which is why verified credentials are cached by the AuthStore.
 */
const SCHEME = 'scrypt';
const COST = { N: 2 ** 14, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, options: ScryptOptions, keylen: number): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; allow twice that so stored hashes with raised costs still verify.
  const maxmem = 256 * (options.N ?? COST.N) * (options.r ?? COST.r) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, keylen, { ...options, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hashes `secret` with a fresh random salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, COST, KEY_BYTES);
  return [SCHEME, COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * True when `secret` matches `stored` (a hashSecret result). The comparison takes the same time
 * wherever the two differ; a malformed `stored` never matches.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (!N || !r || !p || N > 2 ** 17 || r > 32 || p > 16 || salt.length < 8 || expected.length < 16)
    return false;
  const actual = await derive(secret, salt, { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}
