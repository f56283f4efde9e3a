import { existsSync, statSync } from 'node:fs';
import { chunk, mapConcurrent } from '../kernel/concurrency.ts';
import { errors, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import { checkRemoteObjects } from './remote-verify.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';
import { fatalTransferError, type TransferOptions, type TransferReport } from './transfer-report.ts';
import { corruptInCache } from './verify-object.ts';

export interface PushOptions extends TransferOptions {
  /**
   * Also read back every object the remote already has and hash it; objects whose content does
   * not match their hash are replaced from the cache (`cairn push --verify`).
   */
  verify?: boolean;
}

/** The objects behind tracked paths, files before the manifests that list them. */
interface Needed {
  path: string;
  files: Digest[];
  manifest?: Digest;
}

/**
 * `cairn push`: uploads the objects of the given tracked paths that the remote lacks. One batched
 * existence check decides what to send; every object is verified against its hash in the cache
 * before it is sent (a corrupt one is moved aside and reported, never uploaded); many uploads run
 * at once; a directory's manifest goes last, only after every file it lists arrived, so its
 * presence on a remote vouches for them. With `verify`, objects the remote has are read back
 * and hashed too, and corrupt ones are replaced.
 */
export async function pushPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: PushOptions = {},
): Promise<TransferReport> {
  const tracked = await selectTracked(ctx, cwd, inputs);
  const failures: TransferReport['failures'] = [];
  const needed: Needed[] = [];
  for (const rel of tracked) {
    try {
      needed.push(await localObjects(ctx, rel));
    } catch (err) {
      if (!isCairnError(err)) throw err;
      failures.push({ path: rel, code: err.code, message: err.message });
    }
  }
  const remote = await ctx.openRemote(options.remote);
  try {
    const all = unique(needed.flatMap((n) => [...n.files, ...(n.manifest ? [n.manifest] : [])]));
    const present = await remote.store.hasMany(all.map(objectKey));
    const report: TransferReport = {
      remote: remote.name,
      objects: all.length,
      transferred: 0,
      bytes: 0,
      failures,
    };
    const corruptRemote = new Set<Digest>();
    const repairing = new Set<Digest>();
    if (options.verify) {
      const there = all.filter((d) => present.has(objectKey(d)));
      const check = await checkRemoteObjects(ctx, remote, there, options.onProgress);
      for (const { digest } of check.corrupt) corruptRemote.add(digest);
      for (const d of [...corruptRemote, ...check.missing]) {
        present.delete(objectKey(d));
        repairing.add(d);
      }
      report.verified = there.length;
      report.corrupt = corruptRemote.size;
      report.repaired = 0;
    }

    const toSend = all.filter((d) => !present.has(objectKey(d)));
    const lost = new Set<Digest>(toSend.filter((d) => !existsSync(ctx.cache.pathOf(d))));
    for (const c of await corruptInCache(
      ctx,
      toSend.filter((d) => !lost.has(d)),
    )) {
      lost.add(c.digest);
      failures.push({
        path: pathOfDigest(needed, c.digest),
        digest: c.digest,
        code: 'INTEGRITY_ERROR',
        message: `${pathOfDigest(needed, c.digest)}: ${ctx.cache.corrupt(c.digest, c.actual, c.movedTo).message}; it was not uploaded`,
      });
    }
    for (const d of corruptRemote)
      if (lost.has(d))
        failures.push({
          path: pathOfDigest(needed, d),
          digest: d,
          code: 'INTEGRITY_ERROR',
          message: `${pathOfDigest(needed, d)}: object ${d} on remote "${remote.name}" is corrupt, and this cache has no good copy to replace it`,
        });
    const manifests = new Set(needed.flatMap((n) => (n.manifest ? [n.manifest] : [])));
    const sendable = toSend.filter((d) => !lost.has(d) && !manifests.has(d));
    const sent = (d: Digest) => {
      report.transferred++;
      report.bytes += statSync(ctx.cache.pathOf(d)).size;
      if (repairing.has(d)) report.repaired = (report.repaired ?? 0) + 1;
    };

    const total = sendable.reduce((n, d) => n + statSync(ctx.cache.pathOf(d)).size, 0);
    options.onProgress?.({ phase: 'uploading', done: 0, total, unit: 'bytes' });
    const putMany = remote.store.putMany?.bind(remote.store);
    if (putMany) {
      // Batches: one durable sync per batch instead of one per object.
      for (const batch of chunk(sendable, 2000)) {
        await putMany(batch.map((d) => ({ key: objectKey(d), source: { file: ctx.cache.pathOf(d) } })));
        for (const d of batch) sent(d);
        options.onProgress?.({ phase: 'uploading', done: report.bytes, total, unit: 'bytes' });
      }
    } else {
      await mapConcurrent(sendable, remote.jobs, async (digest) => {
        try {
          await remote.store.put(objectKey(digest), { file: ctx.cache.pathOf(digest) });
          sent(digest);
          options.onProgress?.({ phase: 'uploading', done: report.bytes, total, unit: 'bytes' });
        } catch (err) {
          if (!isCairnError(err) || fatalTransferError(err.code)) throw err;
          lost.add(digest);
          failures.push({ path: pathOfDigest(needed, digest), digest, code: err.code, message: err.message });
        }
      });
    }
    for (const n of needed) {
      const missing = n.files.filter((d) => lost.has(d));
      if (missing.length > 0) {
        failures.push({
          path: n.path,
          code: 'NOT_FOUND',
          message: `${n.path}: ${missing.length} object(s) are neither in the cache intact nor on remote "${remote.name}"`,
        });
        continue;
      }
      if (n.manifest && !present.has(objectKey(n.manifest)) && !lost.has(n.manifest)) {
        await remote.store.put(objectKey(n.manifest), { file: ctx.cache.pathOf(n.manifest) });
        present.add(objectKey(n.manifest));
        sent(n.manifest);
      }
    }
    return report;
  } finally {
    await remote.store.close?.();
  }
}

async function localObjects(ctx: DataContext, rel: string): Promise<Needed> {
  const pointer = await readTrackedPointer(ctx, rel);
  if (pointer.type === 'file') return { path: rel, files: [pointer.hash] };
  if (!existsSync(ctx.cache.pathOf(pointer.hash)))
    throw errors.notFound(`${rel}: manifest ${pointer.hash} is not in the cache`, {
      hint: `run cairn add ${rel} or cairn fetch ${rel} first`,
    });
  const manifest = decodeManifest(await ctx.cache.readVerified(pointer.hash), pointer.hash);
  return { path: rel, files: manifest.entries.map((e) => e.hash), manifest: pointer.hash };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function pathOfDigest(needed: readonly Needed[], digest: Digest): string {
  return needed.find((n) => n.files.includes(digest) || n.manifest === digest)?.path ?? digest;
}
