import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { hashScanned } from './hash-scanned.ts';
import { encodeManifest, manifestMode } from './manifest.ts';
import type { Pointer } from './pointer.ts';
import { type ScannedFile, scanPath } from './scan.ts';

/** What is in the workspace at a tracked path now, hashed (through the stat cache). */
export type WorkspaceState =
  | { kind: 'missing' }
  | { kind: 'file'; hash: Digest; file: ScannedFile }
  | { kind: 'directory'; hash: Digest; files: { file: ScannedFile; hash: Digest }[] };

/**
 * Hashes what is at the workspace-relative path `rel`, reading only files whose signature
 * changed since they were last hashed. Nothing is stored in the cache.
 */
export async function readWorkspaceState(
  ctx: DataContext,
  rel: string,
  options: OperationOptions = {},
): Promise<WorkspaceState> {
  const abs = `${ctx.root}/${rel}`;
  const scannedAt = Date.now();
  const scan = scanPath(abs, ctx.cache.root);
  if (scan.kind === 'missing') return { kind: 'missing' };
  const files = scan.kind === 'file' ? [scan.file] : scan.files;
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
  return { kind: 'directory', hash: digest, files: hashed.map((h) => ({ file: h.file, hash: h.hash })) };
}

/** True when the workspace holds exactly what the pointer names. */
export function matchesPointer(state: WorkspaceState, pointer: Pointer): boolean {
  if (state.kind === 'missing') return false;
  if (state.kind !== pointer.type) return false;
  return state.hash === pointer.hash;
}
