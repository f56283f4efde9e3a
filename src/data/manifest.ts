import { errors } from '../kernel/errors.ts';
import { type Digest, isDigest, sha256 } from '../kernel/hashing.ts';

/** One file of a tracked directory. `mode` is 0o644 or 0o755 (only the executable bit is kept). */
export interface ManifestEntry {
  path: string;
  hash: Digest;
  size: number;
  mode: number;
}

export interface Manifest {
  entries: ManifestEntry[];
}

export const MANIFEST_VERSION = 1;

/** Normalizes a file mode to what a manifest records, so hashes agree across machines. */
export function manifestMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

function compareBytes(a: string, b: string): number {
  // Sort by UTF-8 bytes, not UTF-16 units, so every implementation orders entries the same way.
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** UTF-16 order equals UTF-8 byte order unless a string has surrogates or chars above U+D7FF. */
function sortByBytes(entries: ManifestEntry[]): ManifestEntry[] {
  const simple = entries.every((e) => !/[\ud800-\uffff]/.test(e.path));
  return simple
    ? entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    : entries.sort((a, b) => compareBytes(a.path, b.path));
}

/**
 * The canonical bytes of a manifest: entries sorted by path, one JSON object per line, fixed key
 * order. Two directories with the same content always give the same bytes and the same hash.
 */
export function encodeManifest(manifest: Manifest): { bytes: Buffer; digest: Digest; size: number } {
  const entries = sortByBytes([...manifest.entries]);
  let size = 0;
  const lines = [JSON.stringify({ cairn_manifest: MANIFEST_VERSION, files: entries.length })];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as ManifestEntry;
    if (i > 0 && e.path === entries[i - 1]?.path) throw errors.internal(`duplicate manifest path ${e.path}`);
    size += e.size;
    lines.push(JSON.stringify({ path: e.path, hash: e.hash, size: e.size, mode: e.mode }));
  }
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  return { bytes, digest: sha256(bytes), size };
}

/** Parses manifest bytes; `where` names the object for error messages. */
export function decodeManifest(bytes: Uint8Array, where: string): Manifest {
  const text = Buffer.from(bytes).toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const bad = (why: string) =>
    errors.integrity(`manifest ${where} is malformed: ${why}`, {
      hint: 'run `cairn pull` to fetch a good copy, or `cairn add` the directory again',
    });
  let header: { cairn_manifest?: unknown; files?: unknown };
  try {
    header = JSON.parse(lines[0] ?? '');
  } catch {
    throw bad('the first line is not a manifest header');
  }
  if (header.cairn_manifest !== MANIFEST_VERSION)
    throw bad(`unsupported version ${String(header.cairn_manifest)}`);
  const entries: ManifestEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    let e: Partial<ManifestEntry>;
    try {
      e = JSON.parse(lines[i] as string);
    } catch {
      throw bad(`line ${i + 1} is not JSON`);
    }
    if (typeof e.path !== 'string' || !isSafeRelativePath(e.path))
      throw bad(`line ${i + 1} has an unsafe path`);
    if (!isDigest(e.hash)) throw bad(`line ${i + 1} has an invalid hash`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0)
      throw bad(`line ${i + 1} has an invalid size`);
    if (e.mode !== 0o644 && e.mode !== 0o755) throw bad(`line ${i + 1} has an invalid mode`);
    entries.push({ path: e.path, hash: e.hash, size: e.size, mode: e.mode });
  }
  if (header.files !== entries.length)
    throw bad(`header says ${String(header.files)} files, found ${entries.length}`);
  return { entries };
}

/** A relative `/`-separated path with no empty, `.` or `..` segments and no NUL or backslash. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\0') || path.includes('\\')) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
