import type { DataContext, OperationOptions } from './data-context.ts';
import { newHashContext, storeBytes, syncObjectDirs } from './hash-file.ts';
import { type HashedFile, hashScanned } from './hash-scanned.ts';
import { encodeManifest, manifestMode } from './manifest.ts';
import type { Pointer } from './pointer.ts';
import { type ScannedFile, scanPath } from './scan.ts';

export interface Snapshot {
  /** Workspace-relative path. */
  path: string;
  /** What the path holds now; undefined when nothing is there. */
  pointer: Pointer | undefined;
  /** Files whose content was read (the rest were known from the stat cache). */
  hashed: number;
}

export interface SnapshotOptions extends OperationOptions {
  /** Store the content (and directory manifests) in the cache. */
  store: boolean;
}

/**
 * Hashes what is at each workspace-relative path now — a file or a directory (as a manifest) —
 * in one parallel run, reading only files the stat cache does not know. With `store`, content and
 * manifests go into the cache, ready for push and checkout. Nothing else is written.
 */
export async function snapshotPaths(
  ctx: DataContext,
  rels: readonly string[],
  options: SnapshotOptions,
): Promise<Snapshot[]> {
  const scannedAt = Date.now();
  const scans = rels.map((rel) => ({ rel, scan: scanPath(`${ctx.root}/${rel}`, ctx.cache.root) }));
  const all: ScannedFile[] = [];
  const statKey = new Map<ScannedFile, string>();
  for (const { rel, scan } of scans) {
    if (scan.kind === 'missing') continue;
    for (const f of scan.kind === 'file' ? [scan.file] : scan.files) {
      all.push(f);
      statKey.set(f, f.rel === '' ? rel : `${rel}/${f.rel}`);
    }
  }
  const prefix = rels.length === 1 ? (rels[0] as string) : '';
  const hashed = await hashScanned(ctx, all, (f) => statKey.get(f) as string, prefix, {
    store: options.store,
    scannedAt,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const byFile = new Map<ScannedFile, HashedFile>(hashed.map((h) => [h.file, h]));
  const inline = options.store ? newHashContext(ctx.cache.root, ctx.cache.fsync) : undefined;
  const manifests: Pointer['hash'][] = [];
  const snapshots = scans.map(({ rel, scan }): Snapshot => {
    if (scan.kind === 'missing') return { path: rel, pointer: undefined, hashed: 0 };
    if (scan.kind === 'file') {
      const h = byFile.get(scan.file) as HashedFile;
      return {
        path: rel,
        pointer: { type: 'file', hash: h.hash, size: scan.file.signature.size },
        hashed: h.read ? 1 : 0,
      };
    }
    const hs = scan.files.map((f) => byFile.get(f) as HashedFile);
    const manifest = encodeManifest({
      entries: hs.map((h) => ({
        path: h.file.rel,
        hash: h.hash,
        size: h.file.signature.size,
        mode: manifestMode(h.file.mode),
      })),
    });
    if (inline && storeBytes(inline, manifest.digest, manifest.bytes) !== false)
      manifests.push(manifest.digest);
    return {
      path: rel,
      pointer: { type: 'directory', hash: manifest.digest, size: manifest.size, files: hs.length },
      hashed: hs.filter((h) => h.read).length,
    };
  });
  if (ctx.cache.fsync) await syncObjectDirs(ctx.cache.root, manifests);
  return snapshots;
}
