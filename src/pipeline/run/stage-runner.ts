import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataContext, OpenedRemote } from '../../data/data-context.ts';
import { pointerPathFor } from '../../data/pointer.ts';
import { isCairnError } from '../../kernel/errors.ts';
import type { Digest } from '../../kernel/hashing.ts';
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
import { clearOutputs, missingOutputs, placeOutputs, saveOutputs } from './stage-outputs.ts';
import { runStageCommands } from './stage-process.ts';
import {
  lockEntryOf,
  type PathHashes,
  readStageState,
  type StageState,
  stageOutputs,
} from './stage-state.ts';
import type { StageWatchdog } from './stage-watchdog.ts';

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
  killGraceMs?: number;
  /** Ends the stages' processes if `cairn run` is killed without stopping them. */
  watchdog?: StageWatchdog;
  emit(event: RunEvent): void;
  /** Writes the stage's lock entry and .gitignore entries, one stage at a time. */
  commit(stage: StageDefinition, entry: LockEntry): Promise<void>;
  /** Records the stage in the tracked run. */
  record(record: StageRecord): void;
}

/**
 * Brings one stage up to date: skips it when nothing changed since its lock entry, restores its
 * outputs from the run cache when this exact run happened before, and otherwise runs it.
 */
export async function runStage(run: RunContext, stage: StageDefinition): Promise<TaskOutcome | 'not-run'> {
  const started = Date.now();
  const logFile = join(run.logDir, `${stage.name.replace(/[^\w.@-]/g, '_')}.log`);
  const end = (
    state: StageStateName,
    reasons: string[],
    outs: readonly LockedPath[],
    deps: StageState | undefined,
    extra: { error?: string; tail?: string[]; log?: boolean } = {},
  ) => {
    const durationMs = Date.now() - started;
    run.emit({
      type: 'stage',
      stage: stage.name,
      state,
      reasons,
      durationMs,
      ...(extra.error !== undefined ? { error: extra.error } : {}),
      ...(extra.tail ? { tail: extra.tail } : {}),
      ...(extra.log ? { logFile } : {}),
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
      ...(extra.log && existsSync(logFile) ? { logFile } : {}),
    });
    return state as TaskOutcome;
  };

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
  if (run.signal?.aborted) return 'not-run';

  const key = isRunCacheable(stage) ? runCacheKey(stage, state) : undefined;
  if (key && run.useRunCache && !run.force) {
    const restored = await restoreFromRunCache(run, stage, key, state);
    if (restored) return end('restored', [...reasons, 'restored from run cache'], restored.outs, state);
  }

  const cwd = join(run.ctx.root, stage.wdir);
  if (!existsSync(cwd))
    return end('failed', reasons, [], state, { error: `wdir ${stage.wdir} does not exist` });
  run.emit({ type: 'stage', stage: stage.name, state: 'running', reasons });
  run.hashes.invalidate(stageOutputs(stage).map((o) => o.path));
  await clearOutputs(run.ctx.root, stage);
  const result = await runStageCommands(stage.cmd, {
    cwd,
    env: { ...run.env, ...stage.env, ...run.cairnEnv, CAIRN_STAGE: stage.name },
    logFile,
    onLine: (stream, line) => run.emit({ type: 'output', stage: stage.name, stream, line }),
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.killGraceMs !== undefined ? { killGraceMs: run.killGraceMs } : {}),
    ...(run.watchdog ? { watchdog: run.watchdog } : {}),
  });
  if (result.killed) return end('killed', reasons, [], state, { error: 'stopped', log: true });
  if (!result.ok) {
    const f = result.failed;
    const how = f?.signal ? `was killed by ${f.signal}` : `exited with code ${f?.exitCode}`;
    const which =
      stage.cmd.length > 1 ? `command ${stage.cmd.indexOf(f?.cmd ?? '') + 1} of ${stage.cmd.length} ` : '';
    const error = `${which || 'command '}${how}${which ? `: ${f?.cmd}` : ''}`;
    return end('failed', reasons, [], state, { error, tail: result.tail, log: true });
  }
  const missing = missingOutputs(run.ctx.root, stage);
  if (missing.length > 0)
    return end('failed', reasons, [], state, {
      error: `${stage.name} did not produce ${missing.join(', ')}`,
      tail: result.tail,
      log: true,
    });
  const outs = await saveOutputs(run.ctx, stage, key !== undefined);
  const entry = lockEntryOf(stage, state, outs);
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
  return end('done', reasons, entry.outs, state, { log: true });
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
