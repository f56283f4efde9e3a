import { statSync } from 'node:fs';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { objectKey } from './object-key.ts';
import { type FileSignature, signatureOf, trustedHash } from './stat-cache.ts';

/**
 * Checks that the cache holds intact copies of `digests` before they are used. An object whose
 * signature matches its last verification is trusted; the others are hashed again on the hash
 * workers, and a mismatch is an INTEGRITY_ERROR (the object stays for inspection, never used).
 * Missing objects are skipped: callers report those themselves.
 */
export async function verifyCacheObjects(ctx: DataContext, digests: readonly Digest[]): Promise<void> {
  const known = await ctx.cacheStats.load('');
  const pending: { digest: Digest; signature: FileSignature }[] = [];
  for (const digest of new Set(digests)) {
    const st = statSync(ctx.cache.pathOf(digest), { throwIfNoEntry: false });
    if (!st) continue;
    const signature = signatureOf(st);
    if (trustedHash(known.get(objectKey(digest)), signature, { racy: false }) !== digest)
      pending.push({ digest, signature });
  }
  if (pending.length === 0) return;
  const results = await ctx.hashPool.hash(
    pending.map((p) => ({ path: ctx.cache.pathOf(p.digest), store: false, size: p.signature.size })),
  );
  const fresh: { path: string; signature: FileSignature; hash: Digest }[] = [];
  pending.forEach((p, i) => {
    const r = results[i];
    if (r?.ok && r.hash === p.digest)
      fresh.push({ path: objectKey(p.digest), signature: p.signature, hash: p.digest });
    else if (r?.ok) throw ctx.cache.corrupt(p.digest, r.hash);
  });
  await ctx.cacheStats.save(fresh);
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
