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
 * A temp file name for a write into `dir` (the store's `.tmp` directory). Measured on ext4: a file
 * created under a temp name in its final directory and renamed there costs about four times as
 * much as one created in a separate temp directory and renamed across (the dentry of the temp
 * name lingers in the destination directory).
 */
export function tempNameIn(dir: string, tag: number | string = 0): string {
  tempCounter++;
  return `${dir}/.${process.pid}-${tag}-${tempCounter}.tmp`;
}

/** True for names that tempNameIn makes. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
