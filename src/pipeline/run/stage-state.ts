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
 * Hashes of workspace paths for the length of one run, so a dep that many stages share is scanned
 * once. A stage that writes paths invalidates them (and anything inside or around them) before
 * the stages that depend on it start.
 */
export class PathHashes {
  readonly #ctx: DataContext;
  readonly #known = new Map<string, Promise<LockedPath | undefined>>();

  constructor(ctx: DataContext) {
    this.#ctx = ctx;
  }

  async get(paths: readonly string[]): Promise<Map<string, LockedPath | undefined>> {
    const todo = paths.filter((p) => !this.#known.has(p));
    if (todo.length > 0) {
      const hashed = hashPaths(this.#ctx, todo);
      for (const p of todo) {
        const one = hashed.then((m) => m.get(p));
        // A failed hash is not remembered: the next stage that asks tries again.
        one.catch(() => this.#known.delete(p));
        this.#known.set(p, one);
      }
    }
    const values = await Promise.all(paths.map((p) => this.#known.get(p)));
    return new Map(paths.map((p, i) => [p, values[i]]));
  }

  invalidate(written: readonly string[]): void {
    for (const p of [...this.#known.keys()])
      if (written.some((w) => p === w || p.startsWith(`${w}/`) || w.startsWith(`${p}/`)))
        this.#known.delete(p);
  }
}

/**
 * Hashes the stage's deps and outputs as they are now, through the stat cache (unchanged files
 * are not read) and without storing anything.
 */
export async function readStageState(
  hashes: PathHashes,
  pipeline: Pipeline,
  stage: StageDefinition,
): Promise<StageState> {
  const outPaths = stageOutputs(stage).map((o) => o.path);
  const [deps, outs] = await Promise.all([hashes.get(stage.deps), hashes.get(outPaths)]);
  const { values, missing } = stageParamValues(pipeline, stage);
  return { deps, outs, params: values, missingParams: missing };
}

/**
 * Hashes paths now; with `store`, their content also goes into the cache. One snapshot per path
 * keeps each stat-cache lookup to that path's prefix.
 */
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
