import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { errors, fromSystemError, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { SMALL_FILE_LIMIT } from './hash-file.ts';
import type { ScannedFile } from './scan.ts';
import { trustedHash } from './stat-cache.ts';
import { recordVerified } from './verify-object.ts';
import { relPath } from './workspace-paths.ts';

export interface HashedFile {
  file: ScannedFile;
  hash: Digest;
  /** The content was read (false when the stat cache or a cache link answered). */
  read: boolean;
}

export interface HashScannedOptions extends OperationOptions {
  /** Store every file's content in the cache (cairn add); otherwise only hash (status). */
  store: boolean;
  /** When the files were scanned (ms); hashes are recorded as of then. */
  scannedAt: number;
}

/**
 * Finds the hash of each scanned file: from the stat cache when its signature is unchanged,
 * otherwise by reading it on the hash workers. `statPath(file)` gives its stat-cache key.
 * With `store`, content missing from the cache is written there; large files are copied in
 * parallel with their hashing so both cores work at once.
 */
export async function hashScanned(
  ctx: DataContext,
  files: readonly ScannedFile[],
  statPath: (file: ScannedFile) => string,
  statPrefix: string,
  options: HashScannedOptions,
): Promise<HashedFile[]> {
  const known = await ctx.statCache.load(statPrefix);
  const out = new Array<HashedFile>(files.length);
  const misses: number[] = [];
  files.forEach((file, i) => {
    const hash = file.linkedDigest ?? trustedHash(known.get(statPath(file)), file.signature);
    if (hash && (!options.store || file.linkedDigest || existsSync(ctx.cache.pathOf(hash))))
      out[i] = { file, hash, read: false };
    else misses.push(i);
  });
  if (misses.length === 0) return out;

  const total = misses.reduce((n, i) => n + (files[i] as ScannedFile).signature.size, 0);
  let doneBytes = 0;
  options.onProgress?.({ phase: 'hashing', done: 0, total, unit: 'bytes' });
  const large = options.store
    ? misses.filter((i) => (files[i] as ScannedFile).signature.size > SMALL_FILE_LIMIT)
    : [];
  const copying = ctx.cache.copyToTemps(
    large.map((i) => {
      const path = (files[i] as ScannedFile).abs;
      return { path, label: relPath(ctx.root, path) };
    }),
    (tasks) => ctx.hashPool.copy(tasks),
  );
  // Settle the copies even when hashing fails, so no temp file is left behind unhandled.
  const settledCopies = Promise.allSettled([copying]);

  let results: Awaited<ReturnType<DataContext['hashPool']['hash']>>;
  try {
    results = await ctx.hashPool.hash(
      misses.map((i) => {
        const f = files[i] as ScannedFile;
        return { path: f.abs, store: options.store, size: f.signature.size };
      }),
      (_n, bytes) => {
        doneBytes += bytes;
        options.onProgress?.({ phase: 'hashing', done: doneBytes, total, unit: 'bytes' });
      },
    );
  } catch (err) {
    await discardCopies(settledCopies);
    throw err;
  }

  const fresh: { path: string; signature: ScannedFile['signature']; hash: Digest }[] = [];
  // Written from the very bytes that were hashed: known good, so push and checkout need not hash them again.
  const stored: Digest[] = [];
  let failure: unknown;
  for (let j = 0; j < misses.length; j++) {
    const i = misses[j] as number;
    const file = files[i] as ScannedFile;
    const r = results[j];
    if (!r?.ok) {
      failure ??= hashFailure(file.abs, r, ctx);
      continue;
    }
    if (r.size !== file.signature.size || r.mtimeMs !== file.signature.mtimeMs) {
      failure ??= errors.precondition(`${file.abs} changed while Cairn was reading it`, {
        hint: 'run the command again once the file is no longer being written',
      });
      continue;
    }
    out[i] = { file, hash: r.hash, read: true };
    if (r.stored) stored.push(r.hash);
    fresh.push({ path: statPath(file), signature: file.signature, hash: r.hash });
  }
  if (failure !== undefined) {
    await discardCopies(settledCopies);
    throw failure;
  }
  const temps = await copying;
  for (const [k, i] of large.entries())
    await ctx.cache.commitTemp(temps[k] as string, (out[i] as HashedFile).hash);
  await ctx.statCache.save(fresh, options.scannedAt);
  await recordVerified(ctx, stored);
  return out;
}

async function discardCopies(settled: Promise<PromiseSettledResult<string[]>[]>): Promise<void> {
  for (const r of await settled)
    if (r.status === 'fulfilled') for (const tmp of r.value) await rm(tmp, { force: true });
}

function hashFailure(
  path: string,
  r: { ok: false; errno: string; message: string } | undefined,
  ctx: DataContext,
): unknown {
  if (!r) return errors.internal(`no hash result for ${path}`);
  if (r.errno === 'ENOSPC' || r.errno === 'EDQUOT')
    return errors.exhausted(
      `cannot store ${relPath(ctx.root, path)} in the cache (${ctx.cache.root}): no space left on device`,
      {
        hint: 'free disk space and run the command again; nothing was half-written',
      },
    );
  if (r.errno === 'ECHANGED')
    return errors.precondition(r.message, { hint: 'run the command again once the file is stable' });
  const err = Object.assign(new Error(r.message), { code: r.errno });
  const mapped = fromSystemError(err, path);
  return isCairnError(mapped) ? mapped : errors.internal(`cannot read ${path}: ${r.message}`, { cause: err });
}
