import { statSync } from 'node:fs';
import { isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import { digestHex } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { decodeManifest } from './manifest.ts';
import { signatureOf, trustedHash } from './stat-cache.ts';

/**
 * Whether the cache holds a directory's manifest and every file it lists. Checking thousands of
 * objects costs more than the rest of a status, so a positive answer is recorded against the
 * manifest object's signature and trusted while that object is untouched: `cairn gc` never removes
 * files of a manifest it keeps, and checkout verifies every object it uses anyway.
 */
export async function directoryInCache(
  ctx: DataContext,
  manifestDigest: Digest,
  knownFiles?: readonly Digest[],
): Promise<boolean> {
  const st = statSync(ctx.cache.pathOf(manifestDigest), { throwIfNoEntry: false });
  if (!st) return false;
  const key = `complete/${digestHex(manifestDigest)}`;
  const signature = signatureOf(st);
  if (trustedHash(await ctx.cacheStats.get(key), signature, { racy: false }) === manifestDigest) return true;
  let files = knownFiles;
  if (!files) {
    try {
      files = decodeManifest(await ctx.cache.readVerified(manifestDigest), manifestDigest).entries.map(
        (e) => e.hash,
      );
    } catch (err) {
      if (isCairnError(err) && (err.code === 'NOT_FOUND' || err.code === 'INTEGRITY_ERROR')) return false;
      throw err;
    }
  }
  const complete = ctx.cache.present(files).size === new Set(files).size;
  if (complete) await ctx.cacheStats.save([{ path: key, signature, hash: manifestDigest }]);
  return complete;
}
