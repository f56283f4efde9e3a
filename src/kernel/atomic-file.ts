import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from './errors.ts';

/** A temp name beside `path`, so the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `path` so that a reader sees either the old file or the whole new one:
 * temp file, fsync, rename, then fsync of the directory so the rename itself survives a crash.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fromSystemError(err, path);
  }
  await syncDirectory(dirname(path));
}

/** fsync on a directory makes a rename inside it durable; some file systems refuse it, harmlessly. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // EISDIR/EINVAL on platforms without directory fsync: the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

/** Below this many files an fsync each beats starting `sync -f`. */
const SYNC_EACH_MAX = 8;

/**
 * Puts the content of `paths` (files on the file system holding `root`) on disk. Many files are
 * flushed with one `sync -f` (syncfs) of the file system, which measured far faster than an fsync
 * per file; few files, or a system without `sync -f`, get an fsync each.
 */
export function syncFiles(root: string, paths: readonly string[]): void {
  if (paths.length === 0) return;
  if (paths.length > SYNC_EACH_MAX && spawnSync('sync', ['-f', root], { stdio: 'ignore' }).status === 0)
    return;
  for (const p of paths) {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
