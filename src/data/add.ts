import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { gitTrackedFiles, isInsideGitRepo } from '../kernel/git.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { ensureGitIgnored } from './gitignore.ts';
import { newHashContext, storeBytes } from './hash-file.ts';
import { type HashedFile, hashScanned } from './hash-scanned.ts';
import { encodeManifest, manifestMode } from './manifest.ts';
import { POINTER_SUFFIX, type Pointer, writePointer } from './pointer.ts';
import { profileFormatOf, profileTable } from './profile/data-profile.ts';
import { type ScannedFile, scanPath } from './scan.ts';
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
  const scannedAt = Date.now();
  const targets: { wp: WorkspacePath; files: ScannedFile[]; isDir: boolean }[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const wp = await resolveWorkspacePath(ctx.root, cwd, input);
    if (seen.has(wp.rel)) continue;
    seen.add(wp.rel);
    await checkTrackable(ctx, wp, input);
    const scan = scanPath(wp.abs, ctx.cache.root);
    if (scan.kind === 'missing')
      throw errors.notFound(`${input} does not exist`, { details: { path: wp.rel }, hint: 'check the path' });
    targets.push(
      scan.kind === 'file'
        ? { wp, files: [scan.file], isDir: false }
        : { wp, files: scan.files, isDir: true },
    );
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
  const all: ScannedFile[] = [];
  const owner: string[] = [];
  for (const t of targets)
    for (const f of t.files) {
      all.push(f);
      owner.push(t.wp.rel);
    }
  const statKey = new Map<ScannedFile, string>();
  all.forEach((f, i) => {
    statKey.set(f, f.rel === '' ? (owner[i] as string) : `${owner[i]}/${f.rel}`);
  });
  const prefix = targets.length === 1 ? (targets[0] as { wp: WorkspacePath }).wp.rel : '';
  const hashed = await hashScanned(ctx, all, (f) => statKey.get(f) as string, prefix, {
    store: true,
    scannedAt,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const byFile = new Map<ScannedFile, HashedFile>(hashed.map((h) => [h.file, h]));

  const inline = newHashContext(ctx.cache.root, ctx.cache.fsync);
  // One at a time: targets in the same directory share a .gitignore.
  const results: AddResult[] = [];
  for (const t of targets) {
    const hs = t.files.map((f) => byFile.get(f) as HashedFile);
    let pointer: Pointer;
    if (t.isDir) {
      const manifest = encodeManifest({
        entries: hs.map((h) => ({
          path: h.file.rel,
          hash: h.hash,
          size: h.file.signature.size,
          mode: manifestMode(h.file.mode),
        })),
      });
      storeBytes(inline, manifest.digest, manifest.bytes);
      pointer = { type: 'directory', hash: manifest.digest, size: manifest.size, files: hs.length };
    } else {
      const h = hs[0] as HashedFile;
      pointer = { type: 'file', hash: h.hash, size: h.file.signature.size };
    }
    await writePointer(t.wp.abs, pointer);
    await ensureGitIgnored(t.wp.abs);
    const result: AddResult = {
      path: t.wp.rel,
      type: pointer.type,
      hash: pointer.hash,
      size: pointer.size,
      files: hs.length,
      hashed: hs.filter((h) => h.read).length,
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
    if (!(await ctx.profiles.get(hash))) await ctx.profiles.put(hash, await profileTable(wp.abs, format));
    result.profiled = true;
  } catch (err) {
    result.profileError = (err as Error).message;
    ctx.log.warn({ path: wp.rel, err }, 'profiling failed');
  }
}
