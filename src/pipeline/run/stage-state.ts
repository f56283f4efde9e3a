import type { DataContext } from '../../data/data-context.ts';
import type { Pointer } from '../../data/pointer.ts';
import { snapshotPaths } from '../../data/snapshot.ts';
import type { LockEntry, LockedPath, OutputSpec, Pipeline, StageDefinition } from '../pipeline-types.ts';
import { stageParamValues } from './param-values.ts';

/** What a stage's inputs and outputs hold now. A path mapped to undefined does not exist. */
export interface StageState {
  deps: Map<string, LockedPath | undefined>;
  outs: Map<string, LockedPath | undefined>;
  params: LockEntry['params'];
  /** Declared params that the params files do not define (`file:key`). */
  missingParams: string[];
}

/** Every output a stage declares: outs, metrics and plots alike are owned by the stage. */
export function stageOutputs(stage: StageDefinition): OutputSpec[] {
  return [...stage.outs, ...stage.metrics, ...stage.plots];
}

/**
 * Hashes the stage's deps and outputs as they are now, through the stat cache (unchanged files
 * are not read) and without storing anything. One snapshot per path keeps each stat-cache
 * lookup to that path's prefix.
 */
export async function readStageState(
  ctx: DataContext,
  pipeline: Pipeline,
  stage: StageDefinition,
): Promise<StageState> {
  const outPaths = stageOutputs(stage).map((o) => o.path);
  const [deps, outs] = await Promise.all([hashPaths(ctx, stage.deps), hashPaths(ctx, outPaths)]);
  const { values, missing } = stageParamValues(pipeline, stage);
  return { deps, outs, params: values, missingParams: missing };
}

/** Hashes paths now; with `store`, their content also goes into the cache. */
export async function hashPaths(
  ctx: DataContext,
  paths: readonly string[],
  store = false,
): Promise<Map<string, LockedPath | undefined>> {
  const snaps = await Promise.all(paths.map((p) => snapshotPaths(ctx, [p], { store })));
  const out = new Map<string, LockedPath | undefined>();
  paths.forEach((p, i) => {
    const pointer = snaps[i]?.[0]?.pointer;
    out.set(p, pointer ? lockedPathOf(p, pointer) : undefined);
  });
  return out;
}

export function lockedPathOf(path: string, pointer: Pointer): LockedPath {
  return pointer.type === 'directory'
    ? { path, hash: pointer.hash, size: pointer.size, files: pointer.files }
    : { path, hash: pointer.hash, size: pointer.size };
}

/** The lock entry for a stage that just succeeded with these deps, params and outputs. */
export function lockEntryOf(
  stage: StageDefinition,
  state: StageState,
  outs: ReadonlyMap<string, LockedPath>,
): LockEntry {
  return {
    cmd: [...stage.cmd],
    deps: stage.deps.map((p) => state.deps.get(p)).filter((d): d is LockedPath => d !== undefined),
    params: state.params,
    outs: stageOutputs(stage).flatMap((o) => {
      const locked = outs.get(o.path);
      return locked ? [{ ...locked, cache: o.cache }] : [];
    }),
  };
}
