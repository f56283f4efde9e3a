import {
  chmodSync,
  constants,
  copyFileSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { LinkMode } from '../kernel/config.ts';
import { copyToNewFile } from '../kernel/copy-file.ts';
import { fromSystemError } from '../kernel/errors.ts';
import { tempNameIn } from './object-key.ts';

/**
 * Places the cache object `source` at `dest` using the first link mode that works, through a temp
 * name and a rename so `dest` is never half-written. Returns the mode used.
 *
 * Synchronous on purpose: checkout places thousands of small files, and a tight loop of system
 * calls is several times faster than a round trip through the thread pool for each.
 */
export function linkFromCache(
  source: string,
  dest: string,
  modes: readonly LinkMode[],
  fileMode: number,
  madeDirs?: Set<string>,
): LinkMode {
  const dir = dirname(dest);
  if (!madeDirs?.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs?.add(dir);
  }
  let lastError: unknown;
  for (const mode of modes) {
    const tmp = tempNameIn(dir, 'l');
    try {
      switch (mode) {
        case 'reflink':
          copyFileSync(source, tmp, constants.COPYFILE_FICLONE_FORCE);
          chmodSync(tmp, fileMode);
          break;
        case 'copy':
          copyToNewFile(source, tmp, fileMode);
          chmodSync(tmp, fileMode);
          break;
        case 'hardlink':
          linkSync(source, tmp);
          break;
        case 'symlink':
          symlinkSync(source, tmp);
          break;
      }
      renameSync(tmp, dest);
      return mode;
    } catch (err) {
      rmSync(tmp, { force: true });
      lastError = err;
      const code = (err as NodeJS.ErrnoException).code;
      // Out of space or permissions will not get better with another mode.
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') break;
    }
  }
  throw fromSystemError(lastError, dest);
}
