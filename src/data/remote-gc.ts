import { createHash } from 'node:crypto';
import { errors, isCairnError } from '../kernel/errors.ts';
import { type Digest, digestFromHex } from '../kernel/hashing.ts';
import type { DataContext, OpenedRemote } from './data-context.ts';
import { type GcOptions, type GcPlan, type GcReport, manifestReader, planFrom } from './gc.ts';
import { gcReferences } from './gc-references.ts';
import { digestOfKey, objectKey } from './object-key.ts';

export interface RemoteGcReport extends GcReport {
  remote: string;
}

/**
 * `cairn gc --remote`: decides what to remove from a remote, removing nothing. The references are
 * those of local gc (the workspace's pointers and pipeline outputs, with `allCommits` every
 * commit's) plus the remote's own run-cache entries. A directory's manifest is read from the
 * cache, or else from the remote (verified against its hash); a directory whose manifest is in
 * neither place, or is corrupt, stops it: a remote is where data is kept safe, so it removes
 * only what it knows nothing references.
 */
export async function planRemoteGarbage(
  ctx: DataContext,
  remote: OpenedRemote,
  options: GcOptions = {},
): Promise<GcPlan & { report: RemoteGcReport }> {
  const refs = await gcReferences(ctx, { allCommits: options.allCommits ?? false });
  const objects: { digest: Digest; size: number }[] = [];
  for await (const { key, size } of remote.store.list('sha256/')) {
    const digest = digestOfKey(key);
    if (digest) objects.push({ digest, size });
  }
  const onRemote = new Set(objects.map((o) => o.digest));
  const manifests = manifestReader(async (hash) => {
    if (await ctx.cache.has(hash))
      try {
        return await ctx.cache.readVerified(hash);
      } catch (err) {
        // A bad local copy: the remote's may be good.
        if (!isCairnError(err)) throw err;
      }
    return onRemote.has(hash) ? readRemoteVerified(remote, hash) : undefined;
  });
  const plan = await planFrom(
    refs,
    {
      objects,
      manifests,
      ...(ctx.remoteRunCache ? { runCache: ctx.remoteRunCache(remote.store) } : {}),
    },
    options,
  );
  if (plan.report.unresolved.length > 0)
    throw errors.precondition(
      `cannot tell what remote "${remote.name}" must keep: the manifest of ${plan.report.unresolved[0]}${plan.report.unresolved.length > 1 ? ` (and ${plan.report.unresolved.length - 1} more)` : ''} is neither in the cache nor on the remote`,
      {
        details: { unresolved: plan.report.unresolved },
        hint: 'nothing was removed; push that directory from a workspace that has it (or cairn fetch it), then run gc --remote again',
      },
    );
  return { ...plan, report: { ...plan.report, remote: remote.name } };
}

/** Carries out a remote plan: run-cache entries first, then objects. */
export async function removeRemoteGarbage(
  ctx: DataContext,
  remote: OpenedRemote,
  plan: GcPlan & { report: RemoteGcReport },
): Promise<RemoteGcReport> {
  const runCache = ctx.remoteRunCache?.(remote.store);
  for (const key of plan.runCacheEntries) await runCache?.remove(key);
  for (const digest of plan.objects) await remote.store.delete(objectKey(digest));
  return { ...plan.report, dryRun: false };
}

async function readRemoteVerified(remote: OpenedRemote, digest: Digest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await remote.store.get(objectKey(digest))) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  const actual = digestFromHex(createHash('sha256').update(bytes).digest('hex'));
  if (actual !== digest)
    throw errors.integrity(
      `object ${digest} on remote "${remote.name}" is corrupt: its content hashes to ${actual}`,
      {
        details: { expected: digest, actual },
        hint: 'repair it with `cairn push --verify` from a workspace that has a good copy',
      },
    );
  return bytes;
}
