import { createHash } from 'node:crypto';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { hashScanned } from './hash-scanned.ts';
import { encodeManifest, manifestMode } from './manifest.ts';
import type { Pointer } from './pointer.ts';
import { type ScannedFile, scanPath } from './scan.ts';
import { racyWindowMs } from './stat-cache.ts';

/**
 * What is in the workspace at a tracked path now, hashed (through the stat cache). A directory
 * whose listing is unchanged since it was last hashed comes back without `files`.
 */
export type WorkspaceState =
  | { kind: 'missing' }
  | { kind: 'file'; hash: Digest; file: ScannedFile }
  | { kind: 'directory'; hash: Digest; files?: { file: ScannedFile; hash: Digest }[] };

export interface WorkspaceStateOptions extends OperationOptions {
  /** Always hash file by file and list them (for diffs and checkout). */
  needFiles?: boolean;
}

/**
 * Hashes what is at the workspace-relative path `rel`, reading only files whose signature
 * changed since they were last hashed. A directory whose listing fingerprint matches the one
 * recorded with its last hash is answered from that record: no per-file lookups, no manifest
 * encoding. Nothing is stored in the cache.
 */
export async function readWorkspaceState(
  ctx: DataContext,
  rel: string,
  options: WorkspaceStateOptions = {},
): Promise<WorkspaceState> {
  const abs = `${ctx.root}/${rel}`;
  const scannedAt = Date.now();
  const scan = scanPath(abs, ctx.cache.root);
  if (scan.kind === 'missing') return { kind: 'missing' };
  const files = scan.kind === 'file' ? [scan.file] : scan.files;
  let fingerprint: string | undefined;
  if (scan.kind === 'directory') {
    fingerprint = listingFingerprint(scan.files);
    const summary = options.needFiles ? undefined : await ctx.statCache.getSummary(rel);
    if (summary?.fingerprint === fingerprint && summary.files === scan.files.length)
      return { kind: 'directory', hash: summary.hash };
  }
  const keyOf = (f: ScannedFile) => (f.rel === '' ? rel : `${rel}/${f.rel}`);
  const hashed = await hashScanned(ctx, files, keyOf, rel, { store: false, scannedAt, ...options });
  if (scan.kind === 'file') {
    const h = hashed[0] as { hash: Digest; file: ScannedFile };
    return { kind: 'file', hash: h.hash, file: h.file };
  }
  const { digest } = encodeManifest({
    entries: hashed.map((h) => ({
      path: h.file.rel,
      hash: h.hash,
      size: h.file.signature.size,
      mode: manifestMode(h.file.mode),
    })),
  });
  // Recorded only when no file could still change within its timestamp granularity.
  const racy = scan.files.some((f) => f.signature.mtimeMs >= scannedAt - racyWindowMs(f.signature.mtimeMs));
  if (fingerprint && !racy)
    await ctx.statCache.saveSummary(rel, {
      fingerprint,
      hash: digest,
      files: scan.files.length,
      checkedAt: scannedAt,
    });
  return { kind: 'directory', hash: digest, files: hashed.map((h) => ({ file: h.file, hash: h.hash })) };
}

/** A hash of a directory's listing: any added, removed, resized, touched or replaced file changes it. */
function listingFingerprint(files: readonly ScannedFile[]): string {
  const hash = createHash('sha256');
  for (const f of files)
    hash.update(
      `${f.rel}\0${f.signature.size}\0${f.signature.mtimeMs}\0${f.signature.ino}\0${f.mode}\0${f.linkedDigest ?? ''}\n`,
    );
  return hash.digest('hex');
}

/** True when the workspace holds exactly what the pointer names. */
export function matchesPointer(state: WorkspaceState, pointer: Pointer): boolean {
  if (state.kind === 'missing') return false;
  if (state.kind !== pointer.type) return false;
  return state.hash === pointer.hash;
}
