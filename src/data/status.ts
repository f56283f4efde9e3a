import { existsSync } from 'node:fs';
import { mapConcurrent } from '../kernel/concurrency.ts';
import { isCairnError } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import { directoryInCache } from './cache-completeness.ts';
import type { DataContext, OperationOptions } from './data-context.ts';
import { decodeManifest, type Manifest } from './manifest.ts';
import { objectKey } from './object-key.ts';
import type { Pointer } from './pointer.ts';
import { readTrackedPointer, selectTracked } from './select-tracked.ts';
import { matchesPointer, readWorkspaceState } from './tracked-state.ts';

export const PATH_STATES = ['unchanged', 'modified', 'missing', 'not-in-cache', 'not-pushed'] as const;
export type PathState = (typeof PATH_STATES)[number];

export interface PathStatus {
  path: string;
  type: Pointer['type'];
  hash: Digest;
  workspace: 'unchanged' | 'modified' | 'missing';
  cache: 'present' | 'not-in-cache';
  /** Undefined when there is no default remote to compare with. */
  remote?: 'pushed' | 'not-pushed' | 'unreachable';
  /** The states that apply, from PATH_STATES. */
  states: PathState[];
  /** For a modified directory whose manifest is in the cache: what changed. */
  changes?: { added: string[]; removed: string[]; modified: string[] };
}

export interface StatusReport {
  paths: PathStatus[];
  remote?: { name: string; error?: string };
}

export interface StatusOptions extends OperationOptions {
  /** Compare against this remote instead of the default; `false` skips the remote. */
  remote?: string | false;
}

/** `cairn status`: how each tracked path compares with its pointer, the cache and the remote. */
export async function statusOf(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
  options: StatusOptions = {},
): Promise<StatusReport> {
  const tracked = await selectTracked(ctx, cwd, inputs);
  const paths = await mapConcurrent(tracked, 4, async (rel): Promise<PathStatus> => {
    const pointer = await readTrackedPointer(ctx, rel);
    let state = await readWorkspaceState(ctx, rel, options);
    const workspace =
      state.kind === 'missing' ? 'missing' : matchesPointer(state, pointer) ? 'unchanged' : 'modified';
    // A modified directory answered from its listing record: hash it file by file for the diff.
    if (workspace === 'modified' && state.kind === 'directory' && !state.files)
      state = await readWorkspaceState(ctx, rel, { ...options, needFiles: true });
    // When the workspace matches and its files are known, they are the manifest's.
    const knownFiles =
      workspace === 'unchanged' && state.kind === 'directory' ? state.files?.map((f) => f.hash) : undefined;
    const inCache =
      pointer.type === 'file'
        ? existsSync(ctx.cache.pathOf(pointer.hash))
        : await directoryInCache(ctx, pointer.hash, knownFiles);
    const manifest =
      pointer.type === 'directory' && workspace === 'modified'
        ? await tryManifest(ctx, pointer.hash)
        : undefined;
    const status: PathStatus = {
      path: rel,
      type: pointer.type,
      hash: pointer.hash,
      workspace,
      cache: inCache ? 'present' : 'not-in-cache',
      states: [workspace],
    };
    if (!inCache) status.states.push('not-in-cache');
    if (workspace === 'modified' && state.kind === 'directory' && state.files && manifest) {
      const now = new Map(state.files.map((f) => [f.file.rel, f.hash]));
      const before = new Map(manifest.entries.map((e) => [e.path, e.hash]));
      status.changes = {
        added: [...now.keys()].filter((p) => !before.has(p)),
        removed: [...before.keys()].filter((p) => !now.has(p)),
        modified: [...now].filter(([p, h]) => before.has(p) && before.get(p) !== h).map(([p]) => p),
      };
    }
    return status;
  });

  const report: StatusReport = { paths };
  const remoteName = options.remote === false ? undefined : (options.remote ?? ctx.defaultRemote);
  if (remoteName === undefined || paths.length === 0) return report;
  report.remote = { name: remoteName };
  try {
    const remote = await ctx.openRemote(remoteName);
    try {
      // A manifest is pushed only after every file it lists, so its presence vouches for them all.
      const present = await remote.store.hasMany(paths.map((p) => objectKey(p.hash)));
      for (const p of paths) {
        p.remote = present.has(objectKey(p.hash)) ? 'pushed' : 'not-pushed';
        if (p.remote === 'not-pushed') p.states.push('not-pushed');
      }
    } finally {
      await remote.store.close?.();
    }
  } catch (err) {
    if (
      !isCairnError(err) ||
      (err.code !== 'UNAVAILABLE' &&
        err.code !== 'PERMISSION_DENIED' &&
        err.code !== 'UNAUTHENTICATED' &&
        err.code !== 'NOT_FOUND')
    )
      throw err;
    report.remote.error = err.message;
    for (const p of paths) p.remote = 'unreachable';
  }
  return report;
}

async function tryManifest(ctx: DataContext, digest: Digest): Promise<Manifest | undefined> {
  try {
    return decodeManifest(await ctx.cache.readVerified(digest), digest);
  } catch (err) {
    if (isCairnError(err) && (err.code === 'NOT_FOUND' || err.code === 'INTEGRITY_ERROR')) return undefined;
    throw err;
  }
}
