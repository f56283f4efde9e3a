import { constants } from 'node:fs';
import { chmod, copyFile, link, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from '../kernel/atomic-file.ts';
import type { LinkMode } from '../kernel/config.ts';
import { fromSystemError } from '../kernel/errors.ts';

/**
 * Places the cache object `source` at `dest` using the first link mode that works, through a temp
 * name and a rename so `dest` is never half-written. Returns the mode used.
 */
export async function linkFromCache(
  source: string,
  dest: string,
  modes: readonly LinkMode[],
  fileMode: number,
): Promise<LinkMode> {
  await mkdir(dirname(dest), { recursive: true });
  let lastError: unknown;
  for (const mode of modes) {
    const tmp = tempPathFor(dest);
    try {
      switch (mode) {
        case 'reflink':
          await copyFile(source, tmp, constants.COPYFILE_FICLONE_FORCE);
          await chmod(tmp, fileMode);
          break;
        case 'copy':
          await copyFile(source, tmp);
          await chmod(tmp, fileMode);
          break;
        case 'hardlink':
          await link(source, tmp);
          break;
        case 'symlink':
          await symlink(source, tmp);
          break;
      }
      await rename(tmp, dest);
      return mode;
    } catch (err) {
      await rm(tmp, { force: true });
      lastError = err;
      const code = (err as NodeJS.ErrnoException).code;
      // Out of space or permissions will not get better with another mode.
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') break;
    }
  }
  throw fromSystemError(lastError, dest);
}
