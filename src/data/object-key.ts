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

/** The file of object `digest` under a cache or remote directory (string concatenation: hot path). */
export function objectPath(root: string, digest: Digest): string {
  const hex = digestHex(digest);
  return `${root}/sha256/${hex.slice(0, 2)}/${hex.slice(2)}`;
}

let tempCounter = 0;

/**
 * A temp file name for a write into `dir`. Temp files live beside their final name, so the final
 * rename stays inside one directory: cross-directory renames take a file-system-wide lock, and
 * one shared temp directory serialises parallel writers on its own lock.
 */
export function tempNameIn(dir: string, tag: number | string = 0): string {
  tempCounter++;
  return `${dir}/.${process.pid}-${tag}-${tempCounter}.tmp`;
}

/** True for names that tempNameIn makes. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
