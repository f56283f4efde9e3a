import { lstatSync, readdirSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { type Digest, isDigest } from '../kernel/hashing.ts';
import { digestOfKey } from './object-key.ts';
import { type FileSignature, signatureOf } from './stat-cache.ts';

/** One file found under a tracked path. */
export interface ScannedFile {
  /** Path relative to the tracked directory (`/`-separated); '' for a tracked file. */
  rel: string;
  abs: string;
  signature: FileSignature;
  mode: number;
  /** Known without reading: the file is a symlink into the cache, checked out in symlink mode. */
  linkedDigest?: Digest;
}

export type ScanResult =
  | { kind: 'missing' }
  | { kind: 'file'; file: ScannedFile }
  | { kind: 'directory'; files: ScannedFile[] };

/**
 * Lists what is at `abs` now, with stat signatures, without reading contents. Synchronous calls
 * on purpose: for thousands of small files one thread of lstat beats the thread-pool round trips.
 */
export function scanPath(abs: string, cacheRoot: string): ScanResult {
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  if (st.isDirectory()) return { kind: 'directory', files: scanDirectory(abs, cacheRoot) };
  const file = scanEntry(abs, '', st, cacheRoot);
  if (!file) throw errors.invalid(`${abs} is a symbolic link to a directory, which Cairn cannot track`);
  return { kind: 'file', file };
}

function scanDirectory(root: string, cacheRoot: string): ScannedFile[] {
  const files: ScannedFile[] = [];
  // Relative paths are built while walking: path.relative / join per file cost more than lstat.
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = `${dir}/${e.name}`;
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory()) {
        walk(abs, rel);
        continue;
      }
      const file = scanEntry(abs, rel, lstatSync(abs), cacheRoot);
      if (file) files.push(file);
      else throw errors.invalid(`${abs} is a symbolic link to a directory, which Cairn cannot track`);
    }
  };
  walk(root, '');
  return files;
}

function scanEntry(abs: string, rel: string, st: Stats, cacheRoot: string): ScannedFile | undefined {
  if (st.isFile()) return { rel, abs, signature: signatureOf(st), mode: st.mode };
  if (st.isSymbolicLink()) {
    const target = resolve(join(abs, '..'), readlinkSync(abs));
    const inCache = relative(cacheRoot, target);
    const key = inCache.split(sep).join('/');
    const digest = !inCache.startsWith('..') ? digestOfKey(key) : undefined;
    let real: Stats;
    try {
      real = statSync(abs);
    } catch {
      throw errors.invalid(`${abs} is a broken symbolic link`, {
        hint: 'remove it or run `cairn checkout --force`',
      });
    }
    if (real.isDirectory()) return undefined;
    if (!real.isFile()) throw errors.invalid(`${abs} is not a regular file`);
    return {
      rel,
      abs,
      signature: signatureOf(real),
      mode: real.mode,
      ...(digest && isDigest(digest) ? { linkedDigest: digest } : {}),
    };
  }
  throw errors.invalid(`${abs} is not a regular file (sockets, FIFOs and devices cannot be tracked)`);
}
