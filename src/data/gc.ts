import { errors, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, RunCacheIndex, RunCacheRecord } from './data-context.ts';
import { gcReferences, type Reference } from './gc-references.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import type { Pointer } from './pointer.ts';

export interface GcOptions {
  dryRun?: boolean;
  /** Also keep objects that pointers and lock-file outputs in any git commit reference. */
  allCommits?: boolean;
  /** Remove run-cache entries made longer ago than this (ms), and the objects only they need. */
  runCacheMaxAgeMs?: number;
  /** Remove run-cache entries that cannot restore from this store: an object they name is gone. */
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
  /** Run-cache entries: all of them, those removed, and why. */
  runCache: {
    entries: number;
    removed: number;
    /** Older than the maximum age (all removed). */
    expired: number;
    /** Naming objects the store lacks (removed only with `pruneRunCache`). */
    incomplete: number;
  };
  dryRun: boolean;
}

/** What a gc will remove, decided before anything is removed (so it can be confirmed first). */
export interface GcPlan {
  /** The report as it will be once the plan is carried out (`dryRun` as asked). */
  report: GcReport;
  objects: Digest[];
  runCacheEntries: Digest[];
}

/** The files a directory pointer's manifest lists ([] for a file); undefined when it is nowhere. */
export type ManifestFiles = (pointer: Pointer, where: string) => Promise<Digest[] | undefined>;

/** What one store holds, as gc sees it. */
export interface GcInventory {
  objects: readonly { digest: Digest; size: number }[];
  manifests: ManifestFiles;
  runCache?: RunCacheIndex;
}

/** Temp files younger than this may belong to a command still running. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * `cairn gc`: removes cache objects that nothing references. References are the workspace's
 * pointers and pipeline outputs (with `allCommits`, those of every git commit too) and the local
 * run-cache entries, minus the entries this call prunes. A directory keeps its files through its
 * manifest. Pruned entries go before their objects, so a crash never leaves an entry whose objects
 * this gc removed. Any reference that cannot be read stops gc before it removes anything.
 */
export async function collectGarbage(ctx: DataContext, options: GcOptions = {}): Promise<GcReport> {
  const plan = await planGarbage(ctx, options);
  return plan.report.dryRun ? plan.report : removeGarbage(ctx, plan);
}

/** Decides what gc removes from the local cache, removing nothing. */
export async function planGarbage(ctx: DataContext, options: GcOptions = {}): Promise<GcPlan> {
  const refs = await gcReferences(ctx, { allCommits: options.allCommits ?? false });
  const objects = await ctx.cache.list();
  const present = new Set(objects.map((o) => o.digest));
  return planFrom(
    refs,
    {
      objects,
      manifests: manifestReader(async (hash) =>
        present.has(hash) ? await ctx.cache.readVerified(hash) : undefined,
      ),
      ...(ctx.runCache ? { runCache: ctx.runCache } : {}),
    },
    options,
  );
}

/** Carries out a plan: run-cache entries first, then objects, then stale temp files. */
export async function removeGarbage(ctx: DataContext, plan: GcPlan): Promise<GcReport> {
  for (const key of plan.runCacheEntries) await ctx.runCache?.remove(key);
  for (const digest of plan.objects) await ctx.cache.delete(digest);
  await ctx.cache.removeStaleTemp(STALE_TEMP_MS);
  await ctx.cacheStats.forget(plan.objects.map(objectKey));
  return { ...plan.report, dryRun: false };
}

/**
 * The decision, for any store: keep what `refs` name (a directory's files through its manifest)
 * and what the run-cache entries that stay restore; everything else in `inventory` goes.
 */
export async function planFrom(
  refs: readonly Reference[],
  inventory: GcInventory,
  options: GcOptions,
): Promise<GcPlan> {
  const present = new Set(inventory.objects.map((o) => o.digest));
  const keep = new Set<Digest>();
  const unresolved: string[] = [];
  for (const { where, pointer } of refs) {
    keep.add(pointer.hash);
    const inside = await inventory.manifests(pointer, where);
    if (inside) for (const d of inside) keep.add(d);
    else unresolved.push(where);
  }

  const records = (await inventory.runCache?.list()) ?? [];
  const runCache = { entries: records.length, removed: 0, expired: 0, incomplete: 0 };
  const prune: Digest[] = [];
  const now = options.now ?? Date.now();
  for (const record of records) {
    const expired =
      options.runCacheMaxAgeMs !== undefined &&
      record.created !== undefined &&
      now - record.created > options.runCacheMaxAgeMs;
    const needed = await entryObjects(record, inventory.manifests);
    const incomplete = needed === undefined || needed.some((d) => !present.has(d));
    if (expired) runCache.expired++;
    if (incomplete) runCache.incomplete++;
    if (expired || (incomplete && options.pruneRunCache)) prune.push(record.key);
    else for (const d of needed ?? record.outputs?.map((o) => o.hash) ?? []) keep.add(d);
  }
  runCache.removed = prune.length;

  const report: GcReport = {
    kept: 0,
    removed: 0,
    removedBytes: 0,
    unresolved,
    runCache,
    dryRun: options.dryRun ?? false,
  };
  const unused: Digest[] = [];
  for (const { digest, size } of inventory.objects) {
    if (keep.has(digest)) {
      report.kept++;
      continue;
    }
    report.removed++;
    report.removedBytes += size;
    unused.push(digest);
  }
  return { report, objects: unused, runCacheEntries: prune };
}

/**
 * Lists directory manifests' files, reading each manifest through `read` (its verified bytes, or
 * undefined when the store does not have it) once, however many pointers name it. A manifest
 * that is there but corrupt or malformed throws: the files it lists are unknown, and gc must not
 * guess.
 */
export function manifestReader(read: (hash: Digest) => Promise<Buffer | undefined>): ManifestFiles {
  const known = new Map<Digest, Promise<Digest[] | undefined>>();
  const files = async (hash: Digest, where: string): Promise<Digest[] | undefined> => {
    try {
      const bytes = await read(hash);
      return bytes && decodeManifest(bytes, hash).entries.map((e) => e.hash);
    } catch (err) {
      if (!isCairnError(err)) throw err;
      if (err.code === 'NOT_FOUND') return undefined;
      throw errors.integrity(`the manifest of ${where} cannot be read: ${err.message}`, {
        cause: err,
        details: { where, manifest: hash },
        hint: 'nothing was removed; restore the manifest (delete it and run cairn fetch, or cairn add the directory again), then run gc again',
      });
    }
  };
  return (pointer, where) => {
    if (pointer.type !== 'directory') return Promise.resolve([]);
    const seen = known.get(pointer.hash);
    if (seen) return seen;
    const found = files(pointer.hash, where);
    known.set(pointer.hash, found);
    return found;
  };
}

/** Every object a run-cache entry restores from; undefined when it cannot be read or listed. */
async function entryObjects(record: RunCacheRecord, files: ManifestFiles): Promise<Digest[] | undefined> {
  if (!record.outputs) return undefined;
  const out: Digest[] = [];
  for (const pointer of record.outputs) {
    const inside = await files(pointer, `run-cache entry ${record.key}`);
    if (!inside) return undefined;
    out.push(pointer.hash, ...inside);
  }
  return out;
}
