import { statSync } from 'node:fs';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { objectKey } from './object-key.ts';
import { type FileSignature, signatureOf, trustedHash } from './stat-cache.ts';

/**
 * Checks that the cache holds intact copies of `digests` before they are used. An object whose
 * signature matches its last verification is trusted; the others are hashed again on the hash
 * workers. A corrupt object is moved out of the cache (`ObjectCache.quarantine`, so a fetch or an
 * add can store a good copy) and reported as INTEGRITY_ERROR. Missing objects are skipped:
 * callers report those themselves.
 */
export async function verifyCacheObjects(ctx: DataContext, digests: readonly Digest[]): Promise<void> {
  const first = (await corruptInCache(ctx, digests))[0];
  if (first) throw ctx.cache.corrupt(first.digest, first.actual, first.movedTo);
}

/** A cache object found corrupt: what it hashes to, and where it was moved. */
export interface CorruptObject {
  digest: Digest;
  actual: Digest;
  movedTo: string;
}

/**
 * verifyCacheObjects without the throw: checks `digests` the same way and returns the corrupt
 * ones (already moved out of the cache), so a caller can carry on with the rest.
 */
export async function corruptInCache(ctx: DataContext, digests: readonly Digest[]): Promise<CorruptObject[]> {
  const known = await ctx.cacheStats.load('');
  const pending: { digest: Digest; signature: FileSignature }[] = [];
  for (const digest of new Set(digests)) {
    const st = statSync(ctx.cache.pathOf(digest), { throwIfNoEntry: false });
    if (!st) continue;
    const signature = signatureOf(st);
    if (trustedHash(known.get(objectKey(digest)), signature, { racy: false }) !== digest)
      pending.push({ digest, signature });
  }
  if (pending.length === 0) return [];
  return (await rehash(ctx, pending)).corrupt;
}

/**
 * Which of `digests` the cache holds intact, each hashed again now rather than trusted on its
 * signature: asked before checkout replaces workspace content that differs from its pointer,
 * when the cache's copy is about to become the only one. Corrupt copies are moved out of the
 * cache and returned; absent ones are in neither set.
 */
export async function intactInCache(
  ctx: DataContext,
  digests: readonly Digest[],
): Promise<{ intact: Set<Digest>; corrupt: Digest[] }> {
  const pending: { digest: Digest; signature: FileSignature }[] = [];
  for (const digest of new Set(digests)) {
    const st = statSync(ctx.cache.pathOf(digest), { throwIfNoEntry: false });
    if (st?.isFile()) pending.push({ digest, signature: signatureOf(st) });
  }
  const { intact, corrupt } = await rehash(ctx, pending);
  return { intact, corrupt: corrupt.map((c) => c.digest) };
}

/** Hashes objects again; records the intact ones as verified and quarantines the others. */
async function rehash(
  ctx: DataContext,
  objects: readonly { digest: Digest; signature: FileSignature }[],
): Promise<{ intact: Set<Digest>; corrupt: CorruptObject[] }> {
  const intact = new Set<Digest>();
  const corrupt: CorruptObject[] = [];
  if (objects.length === 0) return { intact, corrupt };
  const results = await ctx.hashPool.hash(
    objects.map((p) => ({ path: ctx.cache.pathOf(p.digest), store: false, size: p.signature.size })),
  );
  const fresh: { path: string; signature: FileSignature; hash: Digest }[] = [];
  for (const [i, p] of objects.entries()) {
    const r = results[i];
    if (!r?.ok) continue;
    if (r.hash === p.digest) {
      intact.add(p.digest);
      fresh.push({ path: objectKey(p.digest), signature: p.signature, hash: p.digest });
    } else {
      corrupt.push({ digest: p.digest, actual: r.hash, movedTo: await ctx.cache.quarantine(p.digest) });
    }
  }
  await ctx.cacheStats.save(fresh);
  await ctx.cacheStats.forget(corrupt.map((c) => objectKey(c.digest)));
  return { intact, corrupt };
}

/** Records objects just written and verified, so their next use needs no hashing. */
export async function recordVerified(ctx: DataContext, digests: readonly Digest[]): Promise<void> {
  const fresh: { path: string; signature: FileSignature; hash: Digest }[] = [];
  for (const digest of new Set(digests)) {
    const st = statSync(ctx.cache.pathOf(digest), { throwIfNoEntry: false });
    if (st) fresh.push({ path: objectKey(digest), signature: signatureOf(st), hash: digest });
  }
  await ctx.cacheStats.save(fresh);
}
