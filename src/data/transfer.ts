import { existsSync, statSync } from 'node:fs';
import { mapConcurrent } from '../kernel/concurrency.ts';
import { errors, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import { type CheckoutOptions, type CheckoutResult, checkoutPaths } from './checkout.ts';
import type { DataContext, OpenedRemote, OperationOptions } from './data-context.ts';
import { SMALL_FILE_LIMIT } from './hash-file.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';
import { fatalTransferError, type TransferOptions, type TransferReport } from './transfer-report.ts';
import { recordVerified } from './verify-object.ts';

export type { TransferFailure, TransferOptions, TransferReport } from './transfer-report.ts';

const REPAIR_HINT =
  'the corrupt copy was not stored; repair the remote with `cairn push --verify` from a workspace that has a good copy';

/**
 * `cairn fetch`: downloads into the cache the objects of the given tracked paths that it lacks,
 * verifying each against its hash before it is stored. Corrupt objects are reported, not stored.
 */
export async function fetchPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: TransferOptions = {},
): Promise<TransferReport> {
  const tracked = await selectTracked(ctx, cwd, inputs);
  const remote = await ctx.openRemote(options.remote);
  try {
    const report: TransferReport = {
      remote: remote.name,
      objects: 0,
      transferred: 0,
      bytes: 0,
      failures: [],
    };
    const pointers = await Promise.all(
      tracked.map(async (rel) => ({
        rel,
        pointer: await readTrackedPointer(ctx, rel),
      })),
    );
    // Manifests first: they say which files a directory needs.
    const manifests = pointers.filter((p) => p.pointer.type === 'directory');
    await download(
      ctx,
      remote,
      manifests.map((p) => ({ path: p.rel, digest: p.pointer.hash })),
      report,
      options,
      'manifests',
    );
    const wanted: { path: string; digest: Digest }[] = [];
    for (const { rel, pointer } of pointers) {
      if (pointer.type === 'file') {
        wanted.push({ path: rel, digest: pointer.hash });
        continue;
      }
      if (report.failures.some((f) => f.digest === pointer.hash)) continue;
      try {
        const manifest = decodeManifest(await ctx.cache.readVerified(pointer.hash), pointer.hash);
        for (const e of manifest.entries) wanted.push({ path: `${rel}/${e.path}`, digest: e.hash });
      } catch (err) {
        if (!isCairnError(err)) throw err;
        report.failures.push({ path: rel, digest: pointer.hash, code: err.code, message: err.message });
      }
    }
    await download(ctx, remote, wanted, report, options, 'downloading');
    report.objects += manifests.length;
    return report;
  } finally {
    await remote.store.close?.();
  }
}

/** `cairn pull`: fetch, then check out what arrived. */
export async function pullPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: TransferOptions & CheckoutOptions = {},
): Promise<{ fetch: TransferReport; checkout: CheckoutResult[] }> {
  const fetch = await fetchPaths(ctx, cwd, inputs, options);
  const checkout = await checkoutPaths(ctx, cwd, inputs, options);
  return { fetch, checkout };
}

async function download(
  ctx: DataContext,
  remote: OpenedRemote,
  wanted: { path: string; digest: Digest }[],
  report: TransferReport,
  options: OperationOptions,
  phase: string,
): Promise<void> {
  const byDigest = new Map<Digest, string>();
  for (const w of wanted) if (!byDigest.has(w.digest)) byDigest.set(w.digest, w.path);
  if (phase !== 'manifests') report.objects += byDigest.size;
  const missing = [...byDigest.keys()].filter((d) => !existsSync(ctx.cache.pathOf(d)));
  if (missing.length === 0) return;
  let done = 0;
  options.onProgress?.({ phase, done, total: missing.length, unit: 'objects' });
  const arrived: Digest[] = [];
  let streamed = missing;
  const pathOf = remote.store.pathOf?.bind(remote.store);
  if (pathOf) {
    // A remote directory: read its files on the hash workers, which verify and store them in
    // parallel; only large files go through the stream path below.
    const small: { digest: Digest; path: string; size: number }[] = [];
    streamed = [];
    for (const digest of missing) {
      const path = pathOf(objectKey(digest));
      const st = statSync(path, { throwIfNoEntry: false });
      if (st && st.size <= SMALL_FILE_LIMIT) small.push({ digest, path, size: st.size });
      else streamed.push(digest);
    }
    const results = await ctx.hashPool.hash(
      small.map((o) => ({ path: o.path, store: true, size: o.size })),
      (files) => {
        done += files;
        options.onProgress?.({ phase, done, total: missing.length, unit: 'objects' });
      },
    );
    small.forEach((o, i) => {
      const r = results[i];
      const path = byDigest.get(o.digest) as string;
      if (r?.ok && r.hash === o.digest) {
        report.transferred++;
        report.bytes += r.size;
        arrived.push(o.digest);
      } else if (r?.ok) {
        report.failures.push({
          path,
          digest: o.digest,
          code: 'INTEGRITY_ERROR',
          message: `${path}: object ${o.digest} from remote "${remote.name}" is corrupt: its content hashes to ${r.hash} — ${REPAIR_HINT}`,
        });
      } else if (r?.errno === 'ENOSPC' || r?.errno === 'EDQUOT') {
        throw errors.exhausted(
          `cannot store ${path} in the cache (${ctx.cache.root}): no space left on device`,
          {
            hint: 'free disk space and run the command again; nothing was half-written',
          },
        );
      } else {
        report.failures.push({
          path,
          digest: o.digest,
          code: 'UNAVAILABLE',
          message: `${path}: ${r?.message}`,
        });
      }
    });
  }
  const onRemote = await remote.store.hasMany(streamed.map(objectKey));
  await mapConcurrent(streamed, remote.jobs, async (digest) => {
    const path = byDigest.get(digest) as string;
    if (!onRemote.has(objectKey(digest))) {
      report.failures.push({
        path,
        digest,
        code: 'NOT_FOUND',
        message: `${path}: object ${digest} is not on remote "${remote.name}"`,
      });
      return;
    }
    try {
      const size = await ctx.cache.insertStream(
        digest,
        await remote.store.get(objectKey(digest)),
        `remote "${remote.name}"`,
      );
      report.transferred++;
      report.bytes += size;
      arrived.push(digest);
    } catch (err) {
      if (!isCairnError(err) || fatalTransferError(err.code)) throw err;
      report.failures.push({
        path,
        digest,
        code: err.code,
        message: `${path}: ${err.message}${err.code === 'INTEGRITY_ERROR' && err.hint ? ` — ${err.hint}` : ''}`,
      });
    }
    options.onProgress?.({ phase, done: ++done, total: missing.length, unit: 'objects' });
  });
  await recordVerified(ctx, arrived);
}
