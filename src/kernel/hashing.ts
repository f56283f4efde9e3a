import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { errors } from './errors.ts';

/** A content address: `sha256:` followed by 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

export const DIGEST_PREFIX = 'sha256:';
const HEX64 = /^[0-9a-f]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && value.startsWith(DIGEST_PREFIX) && HEX64.test(value.slice(7));
}

/** Validates `value` as a digest; `where` names the source for the error message. */
export function parseDigest(value: unknown, where: string): Digest {
  if (isDigest(value)) return value;
  throw errors.invalid(
    `${where}: ${JSON.stringify(value)} is not a valid hash (expected "sha256:" and 64 lowercase hex digits)`,
  );
}

export function digestHex(digest: Digest): string {
  return digest.slice(DIGEST_PREFIX.length);
}

export function digestFromHex(hex: string): Digest {
  return `sha256:${hex}`;
}

export function sha256(data: string | Uint8Array): Digest {
  return digestFromHex(createHash('sha256').update(data).digest('hex'));
}

/** Streams a file through SHA-256 without holding it in memory. */
export async function sha256File(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return digestFromHex(hash.digest('hex'));
}
