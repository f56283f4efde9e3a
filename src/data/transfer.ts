import { existsSync, statSync } from 'node:fs';
import { chunk, mapConcurrent } from '../kernel/concurrency.ts';
import { errors, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import { type CheckoutOptions, type CheckoutResult, checkoutPaths } from './checkout.ts';
import type { DataContext, OpenedRemote, OperationOptions } from './data-context.ts';
import { SMALL_FILE_LIMIT } from './hash-file.ts';
import { decodeManifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';
import { recordVerified } from './verify-object.ts';

export interface TransferOptions extends OperationOptions {
  /** Remote name; the default remote when omitted. */
  remote?: string;
}

export interface TransferFailure {
  path: string;
  digest?: Digest;
  code: string;
  message: string;
}

export interface TransferReport {
  remote: string;
  /** Objects the paths need in all. */
  objects: number;
  /** Objects moved this time (the rest were there already). */
  transferred: number;
  bytes: number;
  failures: TransferFailure[];
}

/** The objects behind tracked paths, files before the manifests that list them. */
interface Needed {
  path: string;
  files: Digest[];
  manifest?: Digest;
}

/**
 * `cairn push`: uploads the objects of the given tracked paths that the remote lacks. One batched
 * existence check decides what to send; many uploads run at once; a directory's manifest goes
 * last, only after every file it lists arrived, so its presence on a remote vouches for them.
 */
export async function pushPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: TransferOptions = {},
): Promise<TransferReport> {
  const tracked = await selectTracked(ctx, cwd, inputs);
  const failures: TransferFailure[] = [];
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
    const missingLocal = new Set<Digest>();
    const files = unique(needed.flatMap((n) => n.files)).filter((d) => !present.has(objectKey(d)));
    for (const d of files) if (!existsSync(ctx.cache.pathOf(d))) missingLocal.add(d);
    const sendable = files.filter((d) => !missingLocal.has(d));
    const report: TransferReport = {
      remote: remote.name,
      objects: all.length,
      transferred: 0,
      bytes: 0,
      failures,
    };
    const failed = new Set<Digest>(missingLocal);
    const total = sendable.reduce((n, d) => n + statSync(ctx.cache.pathOf(d)).size, 0);
    options.onProgress?.({ phase: 'uploading', done: 0, total, unit: 'bytes' });
    const putMany = remote.store.putMany?.bind(remote.store);
    if (putMany) {
      // Batches: one durable sync per batch instead of one per object.
      for (const batch of chunk(sendable, 2000)) {
        await putMany(batch.map((d) => ({ key: objectKey(d), source: { file: ctx.cache.pathOf(d) } })));
        report.transferred += batch.length;
        report.bytes += batch.reduce((n, d) => n + statSync(ctx.cache.pathOf(d)).size, 0);
        options.onProgress?.({ phase: 'uploading', done: report.bytes, total, unit: 'bytes' });
      }
    } else {
      await mapConcurrent(sendable, remote.jobs, async (digest) => {
        try {
          await remote.store.put(objectKey(digest), { file: ctx.cache.pathOf(digest) });
          report.transferred++;
          report.bytes += statSync(ctx.cache.pathOf(digest)).size;
          options.onProgress?.({ phase: 'uploading', done: report.bytes, total, unit: 'bytes' });
        } catch (err) {
          if (!isCairnError(err) || fatal(err.code)) throw err;
          failed.add(digest);
          failures.push({ path: pathOfDigest(needed, digest), digest, code: err.code, message: err.message });
        }
      });
    }
    for (const n of needed) {
      const lost = n.files.filter((d) => failed.has(d));
      if (lost.length > 0) {
        failures.push({
          path: n.path,
          code: 'NOT_FOUND',
          message: `${n.path}: ${lost.length} object(s) are neither in the cache nor on remote "${remote.name}"`,
        });
        continue;
      }
      if (n.manifest && !present.has(objectKey(n.manifest))) {
        await remote.store.put(objectKey(n.manifest), { file: ctx.cache.pathOf(n.manifest) });
        report.transferred++;
        report.bytes += statSync(ctx.cache.pathOf(n.manifest)).size;
      }
    }
    return report;
  } finally {
    await remote.store.close?.();
  }
}

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
          message: `${path}: object ${o.digest} from remote "${remote.name}" is corrupt: its content hashes to ${r.hash}`,
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
      if (!isCairnError(err) || fatal(err.code)) throw err;
      report.failures.push({ path, digest, code: err.code, message: `${path}: ${err.message}` });
    }
    options.onProgress?.({ phase, done: ++done, total: missing.length, unit: 'objects' });
  });
  await recordVerified(ctx, arrived);
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
  return needed.find((n) => n.files.includes(digest))?.path ?? digest;
}

/** Errors that stop a whole transfer rather than one object. */
function fatal(code: string): boolean {
  return (
    code === 'UNAVAILABLE' ||
    code === 'PERMISSION_DENIED' ||
    code === 'UNAUTHENTICATED' ||
    code === 'RESOURCE_EXHAUSTED'
  );
}
