import { existsSync, rmSync, statSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinkMode } from '../kernel/config.ts';
import { errors, isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { linkFromCache } from './link-file.ts';
import { decodeManifest, type ManifestEntry } from './manifest.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';
import { type FileSignature, signatureOf } from './stat-cache.ts';
import { matchesPointer, readWorkspaceState } from './tracked-state.ts';
import { intactInCache, verifyCacheObjects } from './verify-object.ts';

export const CHECKOUT_OUTCOMES = ['checked-out', 'unchanged', 'modified', 'not-in-cache', 'failed'] as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];

export interface CheckoutResult {
  path: string;
  outcome: CheckoutOutcome;
  /** Files written into the workspace. */
  written: number;
  /** Files removed because the pointer does not list them (only with force). */
  removed: number;
  message?: string;
  code?: string;
}

export interface CheckoutOptions extends OperationOptions {
  /** Overwrite modified data and delete files the pointer does not list. */
  force?: boolean;
  /** Use these link modes instead of the configured ones. */
  linkModes?: readonly LinkMode[];
}

/**
 * `cairn checkout`: makes tracked paths match their pointers, linking content out of the cache.
 * A path with local modifications (content that is not in the cache, so would be lost) is left
 * alone unless `force` is given; a path whose objects are
 * missing or corrupt in the cache is reported and left alone. Other paths still proceed.
 */
export async function checkoutPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: CheckoutOptions = {},
): Promise<CheckoutResult[]> {
  const tracked = await selectTracked(ctx, cwd, inputs);
  const results: CheckoutResult[] = [];
  for (const rel of tracked) {
    try {
      results.push(await checkoutOne(ctx, rel, options));
    } catch (err) {
      if (!isCairnError(err)) throw err;
      const outcome: CheckoutOutcome = err.code === 'NOT_FOUND' ? 'not-in-cache' : 'failed';
      results.push({ path: rel, outcome, written: 0, removed: 0, message: err.message, code: err.code });
    }
  }
  return results;
}

async function checkoutOne(ctx: DataContext, rel: string, options: CheckoutOptions): Promise<CheckoutResult> {
  const pointer = await readTrackedPointer(ctx, rel);
  const abs = join(ctx.root, rel);
  const modes = options.linkModes ?? ctx.linkModes;
  let state = await readWorkspaceState(ctx, rel);
  if (matchesPointer(state, pointer)) return { path: rel, outcome: 'unchanged', written: 0, removed: 0 };
  // Placing files needs each one's hash, not only the directory's.
  if (state.kind === 'directory' && !state.files)
    state = await readWorkspaceState(ctx, rel, { needFiles: true });

  const notInCache = (what: string) =>
    errors.notFound(`${rel}: ${what} is not in the cache`, { hint: `run: cairn pull ${rel}` });
  if (pointer.type === 'file') {
    if (!existsSync(ctx.cache.pathOf(pointer.hash))) throw notInCache(`object ${pointer.hash}`);
    if (state.kind === 'directory' && !options.force)
      return modified(rel, 'a directory where a file is tracked');
    if (state.kind === 'file' && !options.force) {
      const check = await intactInCache(ctx, [state.hash]);
      if (!check.intact.has(state.hash)) return modified(rel, unsaved(1, 0, check.corrupt.length));
    }
    await verifyCacheObjects(ctx, [pointer.hash]);
    if (state.kind === 'directory') rmSync(abs, { recursive: true, force: true });
    linkFromCache(ctx.cache.pathOf(pointer.hash), abs, modes, 0o644);
    await recordWorkspace(ctx, [{ path: rel, abs, hash: pointer.hash }]);
    return { path: rel, outcome: 'checked-out', written: 1, removed: 0 };
  }

  if (!existsSync(ctx.cache.pathOf(pointer.hash))) throw notInCache(`manifest ${pointer.hash}`);
  const manifest = decodeManifest(await ctx.cache.readVerified(pointer.hash), pointer.hash);
  const absent = manifest.entries.filter((e) => !existsSync(ctx.cache.pathOf(e.hash)));
  if (absent.length > 0) throw notInCache(`${absent.length} of ${manifest.entries.length} files`);

  const current = new Map<string, Digest>();
  if (state.kind === 'directory') for (const f of state.files ?? []) current.set(f.file.rel, f.hash);
  const listed = new Set(manifest.entries.map((e) => e.path));
  // Content the cache holds intact (hashed again now, not trusted on existence) can always be
  // restored, so replacing it loses nothing.
  const extra = [...current.keys()].filter((p) => !listed.has(p));
  const changed = manifest.entries.filter((e) => current.has(e.path) && current.get(e.path) !== e.hash);
  if (state.kind === 'file' && !options.force) return modified(rel, 'a file where a directory is tracked');
  if (!options.force && (extra.length > 0 || changed.length > 0)) {
    const check = await intactInCache(ctx, [
      ...extra.map((p) => current.get(p) as Digest),
      ...changed.map((e) => current.get(e.path) as Digest),
    ]);
    const unsavedExtra = extra.filter((p) => !check.intact.has(current.get(p) as Digest));
    const unsavedChanged = changed.filter((e) => !check.intact.has(current.get(e.path) as Digest));
    if (unsavedExtra.length > 0 || unsavedChanged.length > 0)
      return modified(rel, unsaved(unsavedChanged.length, unsavedExtra.length, check.corrupt.length));
  }

  const todo: ManifestEntry[] = manifest.entries.filter((e) => current.get(e.path) !== e.hash);
  await verifyCacheObjects(
    ctx,
    todo.map((e) => e.hash),
  );
  if (state.kind === 'file') rmSync(abs, { force: true });
  for (const p of extra) rmSync(join(abs, p), { force: true });
  if (extra.length > 0) await removeEmptyDirs(abs);
  let done = 0;
  options.onProgress?.({ phase: `checkout ${rel}`, done, total: todo.length, unit: 'files' });
  const madeDirs = new Set<string>();
  for (const e of todo) {
    linkFromCache(ctx.cache.pathOf(e.hash), join(abs, e.path), modes, e.mode, madeDirs);
    if (++done % 256 === 0 || done === todo.length) {
      options.onProgress?.({ phase: `checkout ${rel}`, done, total: todo.length, unit: 'files' });
      // Let the progress bar draw.
      await new Promise((r) => setImmediate(r));
    }
  }
  await recordWorkspace(
    ctx,
    todo.map((e) => ({ path: `${rel}/${e.path}`, abs: join(abs, e.path), hash: e.hash })),
  );
  return { path: rel, outcome: 'checked-out', written: todo.length, removed: extra.length };
}

/** What is unsaved, for the message: counts, and how many cache copies turned out corrupt. */
function unsaved(changed: number, extra: number, corrupt: number): string {
  const what =
    extra === 0 && changed === 1 ? 'modified' : `${changed} modified and ${extra} untracked file(s)`;
  return corrupt === 0
    ? what
    : `${what}; the cache's copy of ${corrupt === 1 ? 'that content is' : `${corrupt} of them is`} corrupt and was moved aside`;
}

function modified(rel: string, what: string): CheckoutResult {
  return {
    path: rel,
    outcome: 'modified',
    written: 0,
    removed: 0,
    code: 'FAILED_PRECONDITION',
    message: `${rel} has local changes (${what}); not overwritten. Use --force to discard them, or cairn add ${rel} to keep them`,
  };
}

/** Files just written from the cache have known hashes: record them so status need not read them. */
async function recordWorkspace(
  ctx: DataContext,
  files: { path: string; abs: string; hash: Digest }[],
): Promise<void> {
  const checkedAt = Date.now();
  const entries: { path: string; signature: FileSignature; hash: Digest }[] = [];
  for (const f of files) {
    const st = statSync(f.abs, { throwIfNoEntry: false });
    if (st) entries.push({ path: f.path, signature: signatureOf(st), hash: f.hash });
  }
  await ctx.statCache.save(entries, checkedAt);
}

async function removeEmptyDirs(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && (await removeEmptyDirs(join(dir, e.name)))) continue;
    empty = false;
  }
  if (empty) await rmdir(dir).catch(() => undefined);
  return empty;
}
