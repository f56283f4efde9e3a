import { basename } from 'node:path';
import { isCairnError } from '../kernel/errors.ts';
import { gitReadBlobs, gitSync } from '../kernel/git.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, RunCacheRecord } from './data-context.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import { POINTER_SUFFIX, type Pointer, parsePointer } from './pointer.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';

export interface GcOptions {
  dryRun?: boolean;
  /** Also keep objects that pointers and lock-file outputs in any git commit reference. */
  allCommits?: boolean;
  /** Remove run-cache entries made longer ago than this (ms), and the objects only they need. */
  runCacheMaxAgeMs?: number;
  /** Remove run-cache entries that cannot restore from this cache: an object they name is gone. */
  pruneRunCache?: boolean;
  /** The time ages are measured from (default: now). */
  now?: number;
}

export interface GcReport {
  kept: number;
  removed: number;
  removedBytes: number;
  /** Pointers whose content is not in the cache (their objects could not be enumerated). */
  unresolved: string[];
  /** Local run-cache entries: all of them, those removed, and why. */
  runCache: {
    entries: number;
    removed: number;
    /** Older than the maximum age (all removed). */
    expired: number;
    /** Naming objects this cache lacks (removed only with `pruneRunCache`). */
    incomplete: number;
  };
  dryRun: boolean;
}

/** Temp files younger than this may belong to a command still running. */
const STALE_TEMP_MS = 60 * 60 * 1000;

interface Reference {
  where: string;
  pointer: Pointer;
}

/**
 * `cairn gc`: removes cache objects that nothing references. References are the workspace's
 * pointers and pipeline outputs (with `allCommits`, those of every git commit too) and the local
 * run-cache entries, minus the entries this call prunes. A directory keeps its files through its
 * manifest. Pruned entries go before their objects, so a crash never leaves an entry whose objects
 * this gc removed.
 */
export async function collectGarbage(ctx: DataContext, options: GcOptions = {}): Promise<GcReport> {
  const refs: Reference[] = [];
  for (const rel of await selectTracked(ctx, ctx.root, []))
    refs.push({ where: rel, pointer: await readTrackedPointer(ctx, rel) });
  if (options.allCommits) refs.push(...(await referencesInGitHistory(ctx)));

  const objects = await ctx.cache.list();
  const present = new Set(objects.map((o) => o.digest));
  const files = manifestReader(ctx, present);
  const keep = new Set<Digest>();
  const unresolved: string[] = [];
  for (const { where, pointer } of refs) {
    keep.add(pointer.hash);
    const inside = await files(pointer);
    if (inside) for (const d of inside) keep.add(d);
    else unresolved.push(where);
  }

  const records = (await ctx.runCache?.list()) ?? [];
  const runCache = { entries: records.length, removed: 0, expired: 0, incomplete: 0 };
  const prune: RunCacheRecord[] = [];
  const now = options.now ?? Date.now();
  for (const record of records) {
    const expired =
      options.runCacheMaxAgeMs !== undefined &&
      record.created !== undefined &&
      now - record.created > options.runCacheMaxAgeMs;
    const needed = await entryObjects(record, files);
    const incomplete = needed === undefined || needed.some((d) => !present.has(d));
    if (expired) runCache.expired++;
    if (incomplete) runCache.incomplete++;
    if (expired || (incomplete && options.pruneRunCache)) prune.push(record);
    else for (const d of needed ?? record.outputs?.map((o) => o.hash) ?? []) keep.add(d);
  }
  runCache.removed = prune.length;
  if (!options.dryRun) for (const record of prune) await ctx.runCache?.remove(record.key);

  const report: GcReport = {
    kept: 0,
    removed: 0,
    removedBytes: 0,
    unresolved,
    runCache,
    dryRun: options.dryRun ?? false,
  };
  const unused: Digest[] = [];
  for (const { digest, size } of objects) {
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

/**
 * The files a pointer's manifest lists (none for a file), or undefined when the manifest is not
 * in the cache or cannot be read. Each manifest is read once, however many pointers name it.
 */
function manifestReader(ctx: DataContext, present: ReadonlySet<Digest>) {
  const known = new Map<Digest, Promise<Digest[] | undefined>>();
  const read = async (hash: Digest): Promise<Digest[] | undefined> => {
    if (!present.has(hash)) return undefined;
    try {
      return decodeManifest(await ctx.cache.readVerified(hash), hash).entries.map((e) => e.hash);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      return undefined;
    }
  };
  return (pointer: Pointer): Promise<Digest[] | undefined> => {
    if (pointer.type !== 'directory') return Promise.resolve([]);
    const seen = known.get(pointer.hash);
    if (seen) return seen;
    const files = read(pointer.hash);
    known.set(pointer.hash, files);
    return files;
  };
}

/** Every object a run-cache entry restores from; undefined when it cannot be read or listed. */
async function entryObjects(
  record: RunCacheRecord,
  files: (pointer: Pointer) => Promise<Digest[] | undefined>,
): Promise<Digest[] | undefined> {
  if (!record.outputs) return undefined;
  const out: Digest[] = [];
  for (const pointer of record.outputs) {
    const inside = await files(pointer);
    if (!inside) return undefined;
    out.push(pointer.hash, ...inside);
  }
  return out;
}

/**
 * Pointer files and lock-file outputs in every commit reachable from any ref, read through one
 * git process (each distinct blob once).
 */
async function referencesInGitHistory(ctx: DataContext): Promise<Reference[]> {
  const commits = gitSync(ctx.root, ['rev-list', '--all']);
  if (commits === undefined) return [];
  const lockFile = ctx.lockedOutputs?.file;
  const blobs = new Map<string, { where: string; lock: boolean }>();
  for (const commit of commits.split('\n').filter(Boolean)) {
    const tree = gitSync(ctx.root, ['ls-tree', '-r', '-z', commit]) ?? '';
    for (const line of tree.split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line);
      if (!m) continue;
      const [, id, path] = m as unknown as [string, string, string];
      const lock = lockFile !== undefined && basename(path) === lockFile;
      if (lock || path.endsWith(POINTER_SUFFIX))
        blobs.set(id, { where: `${commit.slice(0, 8)}:${path}`, lock });
    }
  }
  const texts = await gitReadBlobs(ctx.root, [...blobs.keys()]);
  const out: Reference[] = [];
  for (const [id, text] of texts) {
    const { where, lock } = blobs.get(id) as { where: string; lock: boolean };
    try {
      if (!lock) out.push({ where, pointer: parsePointer(text, where) });
      else
        for (const [path, pointer] of ctx.lockedOutputs?.parse(text) ?? [])
          out.push({ where: `${where} (${path})`, pointer });
    } catch {
      // A malformed pointer or lock in an old commit references nothing we can keep.
    }
  }
  return out;
}
