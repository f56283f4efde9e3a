import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mapConcurrent } from '../kernel/concurrency.ts';
import { isCairnError } from '../kernel/errors.ts';
import { type Digest, digestFromHex } from '../kernel/hashing.ts';
import type { ProgressFn } from '../kernel/progress.ts';
import type { DataContext, OpenedRemote } from './data-context.ts';
import { objectKey } from './object-key.ts';

export interface RemoteCheck {
  /** Objects whose content on the remote hashes to something else. */
  corrupt: { digest: Digest; actual: Digest }[];
  /** Objects that vanished from the remote while it was being checked. */
  missing: Digest[];
}

/**
 * Reads `digests` back from a remote and hashes them: a directory remote's files on the hash
 * workers, any other remote's objects as streams, `remote.jobs` at a time. Nothing is changed.
 */
export async function checkRemoteObjects(
  ctx: DataContext,
  remote: OpenedRemote,
  digests: readonly Digest[],
  onProgress?: ProgressFn,
): Promise<RemoteCheck> {
  const check: RemoteCheck = { corrupt: [], missing: [] };
  const total = digests.length;
  let done = 0;
  const progress = (n: number) => {
    done += n;
    onProgress?.({ phase: 'verifying', done, total, unit: 'objects' });
  };
  onProgress?.({ phase: 'verifying', done: 0, total, unit: 'objects' });
  const pathOf = remote.store.pathOf?.bind(remote.store);
  if (pathOf) {
    const files = digests.map((d) => ({ digest: d, path: pathOf(objectKey(d)) }));
    const results = await ctx.hashPool.hash(
      files.map((f) => ({
        path: f.path,
        store: false,
        size: statSync(f.path, { throwIfNoEntry: false })?.size ?? 0,
      })),
      (n) => progress(n),
    );
    files.forEach((f, i) => {
      const r = results[i];
      if (r?.ok && r.hash !== f.digest) check.corrupt.push({ digest: f.digest, actual: r.hash });
      else if (!r?.ok) check.missing.push(f.digest);
    });
    return check;
  }
  await mapConcurrent(digests, remote.jobs, async (digest) => {
    let actual: Digest;
    try {
      const hash = createHash('sha256');
      for await (const chunk of await remote.store.get(objectKey(digest))) hash.update(chunk as Buffer);
      actual = digestFromHex(hash.digest('hex'));
    } catch (err) {
      if (!isCairnError(err) || err.code !== 'NOT_FOUND') throw err;
      check.missing.push(digest);
      return;
    } finally {
      progress(1);
    }
    if (actual !== digest) check.corrupt.push({ digest, actual });
  });
  return check;
}
