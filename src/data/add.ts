import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { gitTrackedFiles, isInsideGitRepo } from '../kernel/git.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { ensureGitIgnored } from './gitignore.ts';
import { POINTER_SUFFIX, type Pointer, writePointer } from './pointer.ts';
import { profileFormatOf, profileTable } from './profile/data-profile.ts';
import { scanPath } from './scan.ts';
import { type Snapshot, snapshotPaths } from './snapshot.ts';
import { findTrackedPaths } from './tracked-paths.ts';
import { resolveWorkspacePath, type WorkspacePath } from './workspace-paths.ts';

export interface AddResult {
  path: string;
  type: Pointer['type'];
  hash: Digest;
  size: number;
  files: number;
  /** Files whose content was read this time (the rest were known unchanged). */
  hashed: number;
  /** Set when a CSV / Parquet profile was computed or found for the file. */
  profiled?: boolean;
  /** Why profiling failed, if it did (the add itself still succeeded). */
  profileError?: string;
}

/**
 * `cairn add`: hashes the given files and directories (in parallel, skipping files the stat cache
 * knows), stores their content in the cache, and writes a `<path>.cairn` pointer for each, plus a
 * `.gitignore` entry so git tracks the pointer and not the data.
 */
export async function addPaths(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: OperationOptions = {},
): Promise<AddResult[]> {
  if (inputs.length === 0)
    throw errors.invalid('no paths given', { hint: 'name files or directories: cairn add data/raw.csv' });
  const targets: { wp: WorkspacePath; isDir: boolean }[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const wp = await resolveWorkspacePath(ctx.root, cwd, input);
    if (seen.has(wp.rel)) continue;
    seen.add(wp.rel);
    await checkTrackable(ctx, wp, input);
    const scan = scanPath(wp.abs, ctx.cache.root);
    if (scan.kind === 'missing')
      throw errors.notFound(`${input} does not exist`, { details: { path: wp.rel }, hint: 'check the path' });
    targets.push({ wp, isDir: scan.kind === 'directory' });
  }
  for (const a of targets)
    for (const b of targets)
      if (a !== b && b.wp.rel.startsWith(`${a.wp.rel}/`))
        throw errors.invalid(`${b.wp.rel} is inside ${a.wp.rel}; add one or the other`);
  checkNotGitTracked(
    ctx.root,
    targets.map((t) => t.wp.rel),
  );

  // One hashing run over every file of every target keeps all cores busy.
  const snapshots = await snapshotPaths(
    ctx,
    targets.map((t) => t.wp.rel),
    { store: true, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );

  // One at a time: targets in the same directory share a .gitignore.
  const results: AddResult[] = [];
  for (const [i, t] of targets.entries()) {
    const snap = snapshots[i] as Snapshot;
    if (!snap.pointer) throw errors.notFound(`${t.wp.rel} disappeared while it was being added`);
    const pointer = snap.pointer;
    await writePointer(t.wp.abs, pointer);
    await ensureGitIgnored(t.wp.abs);
    const result: AddResult = {
      path: t.wp.rel,
      type: pointer.type,
      hash: pointer.hash,
      size: pointer.size,
      files: pointer.type === 'directory' ? pointer.files : 1,
      hashed: snap.hashed,
    };
    if (!t.isDir) await profileIfTable(ctx, t.wp, pointer.hash, result);
    results.push(result);
  }
  ctx.log.debug({ paths: results.map((r) => r.path) }, 'added');
  return results;
}

async function checkTrackable(ctx: DataContext, wp: WorkspacePath, input: string): Promise<void> {
  if (wp.rel.endsWith(POINTER_SUFFIX))
    throw errors.invalid(`${input} is a Cairn pointer file`, {
      hint: `add the data it points to: cairn add ${input.slice(0, -POINTER_SUFFIX.length)}`,
    });
  // A path inside an already tracked directory belongs to that directory's pointer.
  let dir = dirname(wp.abs);
  while (dir.length > ctx.root.length) {
    if (existsSync(`${dir}${POINTER_SUFFIX}`))
      throw errors.invalid(
        `${input} is inside ${dir.slice(ctx.root.length + 1)}, which is tracked as a whole`,
        {
          hint: `run cairn add on ${dir.slice(ctx.root.length + 1)} to record changes inside it`,
        },
      );
    dir = dirname(dir);
  }
  const st = statSync(wp.abs, { throwIfNoEntry: false });
  if (st?.isDirectory()) {
    const nested = await findTrackedPaths(wp.abs);
    if (nested.length > 0)
      throw errors.invalid(`${input} contains tracked paths (${nested.slice(0, 3).join(', ')})`, {
        hint: 'untrack those first (delete their .cairn pointers) or add them separately',
      });
  }
}

function checkNotGitTracked(root: string, rels: readonly string[]): void {
  if (!existsSync(join(root, '.git')) && !isInsideGitRepo(root)) return;
  const tracked = gitTrackedFiles(root, rels).filter(
    (f) => !f.endsWith(POINTER_SUFFIX) && !f.endsWith('.gitignore'),
  );
  if (tracked.length > 0)
    throw errors.precondition(
      `${tracked[0]} is tracked by git${tracked.length > 1 ? ` (and ${tracked.length - 1} more)` : ''}`,
      {
        hint: `stop tracking it in git first: git rm -r --cached ${rels.join(' ')}`,
      },
    );
}

async function profileIfTable(
  ctx: DataContext,
  wp: WorkspacePath,
  hash: Digest,
  result: AddResult,
): Promise<void> {
  const format = profileFormatOf(wp.rel);
  if (!format || !ctx.profileOnAdd) return;
  try {
    if (!(await ctx.profiles.get(hash)))
      await ctx.profiles.put(hash, await profileTable(wp.abs, format, ctx.profileLimits));
    result.profiled = true;
  } catch (err) {
    result.profileError = (err as Error).message;
    ctx.log.warn({ path: wp.rel, err }, 'profiling failed');
  }
}
