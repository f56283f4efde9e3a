import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactLocator } from './artifact-locator.ts';

/**
 * Artifacts on this machine (`file:` URIs and absolute paths), as a workspace records them: for
 * the CLI working on a workspace's store directly. Other URIs are not located.
 */
export const localArtifactLocator: ArtifactLocator = (uri) => {
  let dir: string;
  if (uri.startsWith('file:'))
    try {
      dir = fileURLToPath(uri);
    } catch {
      return undefined;
    }
  else if (isAbsolute(uri)) dir = uri;
  else return undefined;
  return {
    location: uri,
    async *list() {
      let entries: string[];
      try {
        entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name));
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code === 'ENOENT' ||
          (err as NodeJS.ErrnoException).code === 'ENOTDIR'
        )
          return;
        throw err;
      }
      for (const file of entries)
        yield { path: relative(dir, file).split(sep).join('/'), size: (await stat(file)).size };
    },
    read: async (path) => createReadStream(join(dir, ...path.split('/'))),
  };
};
