import { type Digest, digestFromHex, digestHex, isDigest } from '../kernel/hashing.ts';

/** Objects live under `sha256/<first two hex digits>/<remaining 62>` in caches and remotes alike. */
export function objectKey(digest: Digest): string {
  const hex = digestHex(digest);
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** The digest an object key names, or undefined for keys that are not object keys. */
export function digestOfKey(key: string): Digest | undefined {
  const m = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(key);
  if (!m) return undefined;
  const digest = digestFromHex(`${m[1]}${m[2]}`);
  return isDigest(digest) ? digest : undefined;
}

export const OBJECT_PREFIX = 'sha256/';
