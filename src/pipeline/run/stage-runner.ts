import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataContext, OpenedRemote } from '../../data/data-context.ts';
import { pointerPathFor } from '../../data/pointer.ts';
import { isCairnError } from '../../kernel/errors.ts';
import type { Digest } from '../../kernel/hashing.ts';
import type { StageCheck, StageExecution, StageWork } from '../executors/stage-executor.ts';
import type { LockEntry, LockedPath, Pipeline, StageDefinition } from '../pipeline-types.ts';
import { changeReasons } from './change-detection.ts';
import {
  getRemoteEntry,
  isRunCacheable,
  type LocalRunCache,
  type RunCacheEntry,
  runCacheKey,
} from './run-cache.ts';
import { fetchOutputObjects } from './run-cache-transfer.ts';
import type { RunEvent, StageStateName } from './run-events.ts';
import type { StageRecord } from './run-recorder.ts';
import type { TaskOutcome } from './scheduler.ts';
import { placeOutputs } from './stage-outputs.ts';
import {
  lockEntryOf,
  type PathHashes,
  readStageState,
  type StageState,
  stageOutputs,
} from './stage-state.ts';

/** What every stage of one run shares. */
export interface RunContext {
  ctx: DataContext;
  pipeline: Pipeline;
  runId: string;
  /** Lock entries as they were when the run started. */
  locked: Readonly<Record<string, LockEntry>>;
  force: boolean;
  useRunCache: boolean;
  runCache: LocalRunCache;
  /** Hashes of workspace paths, shared by the stages of the run. */
  hashes: PathHashes;
  /** The default remote, opened on first use; undefined when there is none or it failed. */
  remote(): Promise<OpenedRemote | undefined>;
  /** Stops using the remote for the rest of the run (it failed). */
  dropRemote(reason: string): void;
  /** The environment stages start from (the user's). */
  env: NodeJS.ProcessEnv;
  /** CAIRN_RUN_ID and friends, set over the user's environment and the stage's `env`. */
  cairnEnv: Record<string, string>;
  logDir: string;
  signal?: AbortSignal;
  emit(event: RunEvent): void;
  /** Writes the stage's lock entry and .gitignore entries, one stage at a time. */
  commit(stage: StageDefinition, entry: LockEntry): Promise<void>;
  /** Records the stage in the tracked run. */
  record(record: StageRecord): void;
}

/** Ends a stage: emits its final state and records it in the tracked run. */
function endStage(
  run: RunContext,
  stage: StageDefinition,
  started: number,
  state: StageStateName,
  reasons: string[],
  outs: readonly LockedPath[],
  deps: StageState | undefined,
  extra: { error?: string; tail?: string[]; logFile?: string } = {},
): TaskOutcome {
  const durationMs = Date.now() - started;
  const { logFile } = extra;
  run.emit({
    type: 'stage',
    stage: stage.name,
    state,
    reasons,
    durationMs,
    ...(extra.error !== undefined ? { error: extra.error } : {}),
    ...(extra.tail ? { tail: extra.tail } : {}),
    ...(logFile ? { logFile } : {}),
  });
  const ok = state === 'done' || state === 'restored' || state === 'skipped';
  run.record({
    name: stage.name,
    status: state,
    durationMs,
    dataInputs: deps ? dataInputs(run, stage, deps) : [],
    outputs: ok ? [...outs] : [],
    metricsFiles: ok
      ? stage.metrics
          .map((m) => ({ path: m.path, abs: join(run.ctx.root, m.path) }))
          .filter((m) => existsSync(m.abs))
      : [],
    ...(logFile && existsSync(logFile) ? { logFile } : {}),
  });
  return state as TaskOutcome;
}

/** Where a stage's log goes in this run. */
export function stageLogFile(run: RunContext, stage: StageDefinition): string {
  return join(run.logDir, `${stage.name.replace(/[^\w.@-]/g, '_')}.log`);
}

/**
 * Decides whether one stage must run: skips it when nothing changed since its lock entry,
 * restores its outputs from the run cache when this exact run happened before, and otherwise
 * hands back the work to do. A stage that ends here is emitted and recorded.
 */
export async function checkStage(run: RunContext, stage: StageDefinition): Promise<StageCheck> {
  const started = Date.now();
  const end = (
    state: StageStateName,
    reasons: string[],
    outs: readonly LockedPath[],
    deps: StageState | undefined,
    extra: { error?: string } = {},
  ) => ({ outcome: endStage(run, stage, started, state, reasons, outs, deps, extra) });

  run.emit({ type: 'stage', stage: stage.name, state: 'checking', reasons: [] });
  const state = await readStageState(run.hashes, run.pipeline, stage);
  if (state.missingParams.length > 0)
    return end('failed', [], [], state, {
      error: `params ${state.missingParams.join(', ')} are not defined`,
    });
  const previous = run.locked[stage.name];
  const reasons = run.force ? ['forced (--force)'] : changeReasons(stage, previous, state);
  if (reasons.length === 0) return end('skipped', [], previous?.outs ?? [], state);
  const missingDeps = stage.deps.filter((d) => !state.deps.get(d));
  if (missingDeps.length > 0)
    return end('failed', reasons, [], state, { error: `dep ${missingDeps.join(', ')} does not exist` });
  if (run.signal?.aborted) {
    run.emit({ type: 'stage', stage: stage.name, state: 'not-run', reasons: ['run stopped'], durationMs: 0 });
    run.record({
      name: stage.name,
      status: 'not-run',
      durationMs: 0,
      dataInputs: [],
      outputs: [],
      metricsFiles: [],
    });
    return { outcome: 'not-run' };
  }

  const key = isRunCacheable(stage) ? runCacheKey(stage, state) : undefined;
  const useRunCache = run.useRunCache && !run.force;
  if (key && useRunCache) {
    const restored = await restoreFromRunCache(run, stage, key, state);
    if (restored) return end('restored', [...reasons, 'restored from run cache'], restored.outs, state);
  }
  if (!existsSync(join(run.ctx.root, stage.wdir)))
    return end('failed', reasons, [], state, { error: `wdir ${stage.wdir} does not exist` });
  return {
    work: {
      stage,
      reasons,
      state,
      key,
      useRunCache,
      cairnEnv: { ...run.cairnEnv, CAIRN_STAGE: stage.name },
      logFile: stageLogFile(run, stage),
      started,
    },
  };
}

/** The stage's commands start: its outputs are about to change. */
export function startStage(run: RunContext, work: StageWork): void {
  run.emit({ type: 'stage', stage: work.stage.name, state: 'running', reasons: work.reasons });
  run.hashes.invalidate(stageOutputs(work.stage).map((o) => o.path));
}

/**
 * Ends a stage that ran. On success its outputs are in the workspace and the cache: writes its
 * lock entry, then its run-cache entry.
 */
export async function finishStage(
  run: RunContext,
  work: StageWork,
  execution: StageExecution,
): Promise<TaskOutcome> {
  const { stage, reasons, state, key, started, logFile } = work;
  if (execution.status === 'killed')
    return endStage(run, stage, started, 'killed', reasons, [], state, { error: 'stopped', logFile });
  if (execution.status === 'failed')
    return endStage(run, stage, started, 'failed', reasons, [], state, {
      error: execution.error,
      ...(execution.tail ? { tail: execution.tail } : {}),
      logFile,
    });
  const entry = lockEntryOf(stage, state, execution.outs);
  await run.commit(stage, entry);
  if (key) {
    const cached: RunCacheEntry = {
      schema: 1,
      stage: stage.name,
      outs: entry.outs,
      created: new Date().toISOString(),
      run_id: run.runId,
    };
    await run.runCache.put(key, cached);
  }
  return endStage(run, stage, started, 'done', reasons, entry.outs, state, { logFile });
}

/** Looks the key up locally, then on the remote; on a hit, puts the outputs in place. */
async function restoreFromRunCache(
  run: RunContext,
  stage: StageDefinition,
  key: Digest,
  state: StageState,
): Promise<LockEntry | undefined> {
  let hit = await run.runCache.get(key).catch(() => undefined);
  const remote = await run.remote();
  if (!hit && remote) {
    try {
      hit = await getRemoteEntry(remote.store, key);
      if (hit) await run.runCache.put(key, hit);
    } catch (err) {
      run.dropRemote(`remote "${remote.name}": ${(err as Error).message}`);
    }
  }
  if (!hit) return undefined;
  const declared = new Set(stageOutputs(stage).map((o) => o.path));
  if (hit.outs.length !== declared.size || !hit.outs.every((o) => declared.has(o.path))) return undefined;
  try {
    const problem = await fetchOutputObjects(run.ctx, remote, hit.outs);
    if (problem) {
      run.emit({
        type: 'warning',
        message: `${stage.name}: run-cache entry found, but ${problem}; running it`,
      });
      return undefined;
    }
    run.hashes.invalidate(hit.outs.map((o) => o.path));
    await placeOutputs(run.ctx, hit.outs);
  } catch (err) {
    if (!isCairnError(err)) throw err;
    run.emit({
      type: 'warning',
      message: `${stage.name}: cannot restore from the run cache (${err.message}); running it`,
    });
    return undefined;
  }
  const outs = new Map(hit.outs.map((o) => [o.path, o]));
  const entry = lockEntryOf(stage, state, outs);
  await run.commit(stage, entry);
  return entry;
}

/** File types that hold data rather than code or configuration. */
const DATA_EXTENSIONS =
  /\.(csv|tsv|parquet|pq|jsonl|ndjson|arrow|feather|avro|orc|npy|npz|h5|hdf5|pkl|pickle|onnx|xlsx)$/i;

/**
 * Deps that are data, not code: those Cairn versions — tracked by a pointer (the path or a
 * directory above it has a `.cairn` file), or produced by a stage (the path is, is inside, or
 * contains a stage's output) — and files of a data format (CSV, Parquet, NumPy…) wherever they
 * live. Source files and configs are left to the git commit.
 */
function dataInputs(run: RunContext, stage: StageDefinition, state: StageState): LockedPath[] {
  const outputs = run.pipeline.stages.flatMap((s) => stageOutputs(s).map((o) => o.path));
  const isData = (path: string) =>
    DATA_EXTENSIONS.test(path) ||
    outputs.some((o) => o === path || path.startsWith(`${o}/`) || o.startsWith(`${path}/`)) ||
    ancestors(path).some((p) => existsSync(join(run.ctx.root, pointerPathFor(p))));
  return stage.deps
    .filter(isData)
    .map((p) => state.deps.get(p))
    .filter((d): d is LockedPath => d !== undefined);
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
