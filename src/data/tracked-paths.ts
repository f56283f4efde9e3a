import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { POINTER_SUFFIX } from './pointer.ts';

const SKIP_DIRS = new Set(['.git', '.cairn', 'node_modules']);

/**
 * Every tracked path in the workspace (workspace-relative, `/`-separated), found through their
 * pointer files. Tracked directories themselves are not descended into, so a data set of a
 * million files costs nothing here.
 */
export async function findTrackedPaths(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isFile() && e.name.endsWith(POINTER_SUFFIX) && e.name.length > POINTER_SUFFIX.length) {
        found.push(childRel.slice(0, -POINTER_SUFFIX.length));
      } else if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !names.has(`${e.name}${POINTER_SUFFIX}`)) {
        subdirs.push(walk(join(dir, e.name), childRel));
      }
    }
    await Promise.all(subdirs);
  };
  await walk(root, '');
  return found.sort();
}
