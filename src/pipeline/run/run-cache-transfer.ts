import { existsSync, statSync } from 'node:fs';
import type { DataContext, OpenedRemote } from '../../data/data-context.ts';
import { decodeManifest } from '../../data/manifest.ts';
import { objectKey } from '../../data/object-key.ts';
import { recordVerified } from '../../data/verify-object.ts';
import { mapConcurrent } from '../../kernel/concurrency.ts';
import { errors, isCairnError } from '../../kernel/errors.ts';
import type { Digest } from '../../kernel/hashing.ts';
import type { LockedPath } from '../pipeline-types.ts';
import { entryObjects, LocalRunCache, runCacheBlobKey } from './run-cache.ts';

export interface RunCachePushReport {
  /** Local run-cache entries. */
  entries: number;
  /** Entries uploaded this time (the rest were there already, or skipped). */
  transferred: number;
  /** Objects uploaded for those entries. */
  objects: number;
  bytes: number;
  /** Entries not uploaded because objects they name are neither local nor on the remote. */
  skipped: number;
}

/**
 * Uploads the local run-cache entries the remote lacks. An entry goes up only after every object
 * its outputs need (files, then manifests), so an entry on a remote always restores completely.
 */
export async function pushRunCache(ctx: DataContext, remote: OpenedRemote): Promise<RunCachePushReport> {
  const local = new LocalRunCache(ctx.cache.root);
  const keys = await local.keys();
  const report: RunCachePushReport = {
    entries: keys.length,
    transferred: 0,
    objects: 0,
    bytes: 0,
    skipped: 0,
  };
  if (keys.length === 0) return report;
  const present = await remote.store.hasMany(keys.map(runCacheBlobKey));
  const todo = keys.filter((k) => !present.has(runCacheBlobKey(k)));
  for (const key of todo) {
    const entry = await local.get(key).catch(() => undefined);
    const needed = entry ? await localObjectsOf(ctx, entry.outs) : undefined;
    if (!entry || !needed) {
      report.skipped++;
      continue;
    }
    const all = [...needed.files, ...needed.manifests];
    const there = await remote.store.hasMany(all.map(objectKey));
    const send = (ds: Digest[]) => ds.filter((d) => !there.has(objectKey(d)));
    if (send(all).some((d) => !existsSync(ctx.cache.pathOf(d)))) {
      report.skipped++;
      continue;
    }
    for (const batch of [send(needed.files), send(needed.manifests)])
      await mapConcurrent(batch, remote.jobs, async (d) => {
        await remote.store.put(objectKey(d), { file: ctx.cache.pathOf(d) });
        report.objects++;
        report.bytes += statSync(ctx.cache.pathOf(d)).size;
      });
    await remote.store.put(runCacheBlobKey(key), { bytes: Buffer.from(await local.text(key)) });
    report.transferred++;
  }
  return report;
}

/**
 * Uploads the objects behind paths (files, then the manifests that list them) that `remote`
 * lacks, from the local cache: after it, anyone can fetch the paths by hash. Throws NOT_FOUND when
 * an object is in neither place.
 */
export async function pushPathObjects(
  ctx: DataContext,
  remote: OpenedRemote,
  paths: readonly LockedPath[],
): Promise<{ objects: number; bytes: number }> {
  const needed = await localObjectsOf(ctx, paths);
  if (!needed)
    throw errors.notFound(
      `a directory manifest of ${paths.map((p) => p.path).join(', ')} is not in the cache`,
      {
        hint: 'run the command again',
      },
    );
  const there = await remote.store.hasMany([...needed.files, ...needed.manifests].map(objectKey));
  const sent = { objects: 0, bytes: 0 };
  for (const batch of [needed.files, needed.manifests]) {
    const send = batch.filter((d) => !there.has(objectKey(d)));
    const lost = send.find((d) => !existsSync(ctx.cache.pathOf(d)));
    if (lost)
      throw errors.notFound(`object ${lost} is neither in the cache nor on remote "${remote.name}"`, {
        hint: 'run the command again',
      });
    await mapConcurrent(send, remote.jobs, async (d) => {
      await remote.store.put(objectKey(d), { file: ctx.cache.pathOf(d) });
      sent.objects++;
      sent.bytes += statSync(ctx.cache.pathOf(d)).size;
    });
  }
  return sent;
}

/** The objects behind outputs, with directory files read from local manifests; undefined if one is gone. */
async function localObjectsOf(
  ctx: DataContext,
  outs: readonly LockedPath[],
): Promise<{ files: Digest[]; manifests: Digest[] } | undefined> {
  const { files, manifests } = entryObjects(outs);
  for (const m of manifests) {
    if (!existsSync(ctx.cache.pathOf(m))) return undefined;
    files.push(...decodeManifest(await ctx.cache.readVerified(m), m).entries.map((e) => e.hash));
  }
  return { files: [...new Set(files)], manifests };
}

/**
 * Brings the objects that outputs need into the local cache from `remote` (manifests first, as
 * they name the files), verifying each against its hash. Resolves to a sentence saying what is
 * missing, or undefined when everything is local.
 */
export async function fetchOutputObjects(
  ctx: DataContext,
  remote: OpenedRemote | undefined,
  outs: readonly LockedPath[],
): Promise<string | undefined> {
  const { files, manifests } = entryObjects(outs);
  const absent = (ds: Digest[]) => [...new Set(ds)].filter((d) => !existsSync(ctx.cache.pathOf(d)));
  const problem = await download(ctx, remote, absent(manifests));
  if (problem) return problem;
  for (const m of manifests)
    files.push(...decodeManifest(await ctx.cache.readVerified(m), m).entries.map((e) => e.hash));
  return download(ctx, remote, absent(files));
}

async function download(
  ctx: DataContext,
  remote: OpenedRemote | undefined,
  digests: Digest[],
): Promise<string | undefined> {
  if (digests.length === 0) return undefined;
  if (!remote) return `${digests.length} object(s) are not in the cache and no remote is available`;
  const there = await remote.store.hasMany(digests.map(objectKey));
  const lacking = digests.filter((d) => !there.has(objectKey(d)));
  if (lacking.length > 0)
    return `${lacking.length} object(s) are neither in the cache nor on remote "${remote.name}"`;
  const arrived: Digest[] = [];
  try {
    await mapConcurrent(digests, remote.jobs, async (d) => {
      await ctx.cache.insertStream(d, await remote.store.get(objectKey(d)), `remote "${remote.name}"`);
      arrived.push(d);
    });
  } catch (err) {
    if (!isCairnError(err)) throw err;
    return err.message;
  } finally {
    await recordVerified(ctx, arrived);
  }
  return undefined;
}
