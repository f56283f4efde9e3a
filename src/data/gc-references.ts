import { basename } from 'node:path';
import { errors, isCairnError } from '../kernel/errors.ts';
import { gitReadBlobs, gitStrict } from '../kernel/git.ts';
import type { DataContext } from './data-context.ts';
import { POINTER_SUFFIX, type Pointer, parsePointer } from './pointer.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';

/** Something that names an object: a pointer (or lock-file output) and where it was found. */
export interface Reference {
  where: string;
  pointer: Pointer;
}

export interface ReferenceOptions {
  /** Also the pointers and lock-file outputs of every commit reachable from any git ref. */
  allCommits?: boolean;
}

/**
 * Everything gc must keep the objects of: the workspace's pointers and pipeline outputs and, with
 * `allCommits`, those of every commit. It is all or nothing: a pointer that cannot be read, or a
 * git command that fails, throws, because a reference gc does not know is data it would delete.
 */
export async function gcReferences(ctx: DataContext, options: ReferenceOptions): Promise<Reference[]> {
  const refs: Reference[] = [];
  for (const rel of await selectTracked(ctx, ctx.root, []))
    refs.push({ where: rel, pointer: await readTrackedPointer(ctx, rel) });
  if (options.allCommits) refs.push(...(await referencesInGitHistory(ctx)));
  return refs;
}

/**
 * Pointer files and lock-file outputs in every commit reachable from any ref: each distinct tree
 * listed once, each distinct blob read once, through one `git cat-file --batch` process.
 */
async function referencesInGitHistory(ctx: DataContext): Promise<Reference[]> {
  try {
    return await readHistory(ctx);
  } catch (err) {
    if (!isCairnError(err)) throw err;
    throw errors.precondition(`cannot read the pointers of every commit: ${err.message}`, {
      cause: err,
      ...(err.details ? { details: err.details } : {}),
      hint: `nothing was removed; ${err.hint ? `${err.hint}, or` : ''} run gc without --all-commits`,
    });
  }
}

async function readHistory(ctx: DataContext): Promise<Reference[]> {
  // Fails outside a repository, which would otherwise look like a history without commits.
  gitStrict(ctx.root, ['rev-parse', '--git-dir']);
  const trees = new Map<string, string>();
  let commit = '';
  for (const line of gitStrict(ctx.root, ['rev-list', '--all', '--format=%T']).split('\n')) {
    if (line.startsWith('commit ')) commit = line.slice('commit '.length);
    else if (/^[0-9a-f]{40,64}$/.test(line) && !trees.has(line)) trees.set(line, commit);
  }
  const lockFile = ctx.lockedOutputs?.file;
  const blobs = new Map<string, { where: string; lock: boolean }>();
  for (const [tree, firstCommit] of trees) {
    for (const entry of gitStrict(ctx.root, ['ls-tree', '-r', '-z', tree]).split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
      if (!m) continue;
      const [, id, path] = m as unknown as [string, string, string];
      const lock = lockFile !== undefined && basename(path) === lockFile;
      if ((lock || path.endsWith(POINTER_SUFFIX)) && !blobs.has(id))
        blobs.set(id, { where: `${firstCommit.slice(0, 8)}:${path}`, lock });
    }
  }
  const texts = await gitReadBlobs(ctx.root, [...blobs.keys()]);
  const out: Reference[] = [];
  for (const [id, text] of texts) {
    const { where, lock } = blobs.get(id) as { where: string; lock: boolean };
    try {
      if (!lock) out.push({ where, pointer: parsePointer(text, where) });
      else
        for (const [path, pointer] of ctx.lockedOutputs?.parse(text) ?? [])
          out.push({ where: `${where} (${path})`, pointer });
    } catch (err) {
      const why = isCairnError(err) ? err.message : String(err);
      throw errors.precondition(why.startsWith(where) ? why : `${where}: ${why}`, {
        cause: err,
        details: { where },
        hint: 'what a malformed pointer references is unknown; fix or drop that commit',
      });
    }
  }
  return out;
}
