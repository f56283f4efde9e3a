import { existsSync } from 'node:fs';
import { isCairnError } from '../kernel/errors.ts';
import { gitReadBlobs, gitSync } from '../kernel/git.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import { POINTER_SUFFIX, type Pointer, parsePointer } from './pointer.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';

export interface GcOptions {
  dryRun?: boolean;
  /** Also keep objects that pointers in any git commit reference. */
  allCommits?: boolean;
}

export interface GcReport {
  kept: number;
  removed: number;
  removedBytes: number;
  /** Pointers whose content is not in the cache (their objects could not be enumerated). */
  unresolved: string[];
  dryRun: boolean;
}

/** Temp files younger than this may belong to a command still running. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * `cairn gc`: removes cache objects that no pointer references — in the workspace, and with
 * `allCommits` in any git commit. A directory's files are kept through its manifest.
 */
export async function collectGarbage(ctx: DataContext, options: GcOptions = {}): Promise<GcReport> {
  const pointers: { where: string; pointer: Pointer }[] = [];
  for (const rel of await selectTracked(ctx, ctx.root, []))
    pointers.push({ where: rel, pointer: await readTrackedPointer(ctx, rel) });
  if (options.allCommits) pointers.push(...(await pointersInGitHistory(ctx.root)));

  const keep = new Set<Digest>();
  const unresolved: string[] = [];
  for (const { where, pointer } of pointers) {
    keep.add(pointer.hash);
    if (pointer.type !== 'directory') continue;
    if (!existsSync(ctx.cache.pathOf(pointer.hash))) {
      unresolved.push(where);
      continue;
    }
    try {
      for (const e of decodeManifest(await ctx.cache.readVerified(pointer.hash), pointer.hash).entries)
        keep.add(e.hash);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      unresolved.push(where);
    }
  }
  const report: GcReport = {
    kept: 0,
    removed: 0,
    removedBytes: 0,
    unresolved,
    dryRun: options.dryRun ?? false,
  };
  const unused: Digest[] = [];
  for (const { digest, size } of await ctx.cache.list()) {
    if (keep.has(digest)) {
      report.kept++;
      continue;
    }
    report.removed++;
    report.removedBytes += size;
    unused.push(digest);
    if (!options.dryRun) await ctx.cache.delete(digest);
  }
  if (!options.dryRun) {
    await ctx.cache.removeStaleTemp(STALE_TEMP_MS);
    await ctx.cacheStats.forget(unused.map(objectKey));
  }
  return report;
}

/** Pointer files in every commit reachable from any ref, read through one git process. */
async function pointersInGitHistory(root: string): Promise<{ where: string; pointer: Pointer }[]> {
  const commits = gitSync(root, ['rev-list', '--all']);
  if (commits === undefined) return [];
  const blobs = new Map<string, string>();
  for (const commit of commits.split('\n').filter(Boolean)) {
    const tree = gitSync(root, ['ls-tree', '-r', '-z', commit]) ?? '';
    for (const line of tree.split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line);
      if (m && (m[2] as string).endsWith(POINTER_SUFFIX))
        blobs.set(m[1] as string, `${commit.slice(0, 8)}:${m[2]}`);
    }
  }
  const texts = await gitReadBlobs(root, [...blobs.keys()]);
  const out: { where: string; pointer: Pointer }[] = [];
  for (const [id, text] of texts) {
    const where = blobs.get(id) as string;
    try {
      out.push({ where, pointer: parsePointer(text, where) });
    } catch {
      // A malformed pointer in an old commit references nothing we can keep.
    }
  }
  return out;
}
