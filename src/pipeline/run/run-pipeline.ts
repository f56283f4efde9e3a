import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DataContext, OpenedRemote } from '../../data/data-context.ts';
import { isCairnError } from '../../kernel/errors.ts';
import { LocalExecutor } from '../executors/local/local-executor.ts';
import type { StageExecutor, StageSteps } from '../executors/stage-executor.ts';
import { LockWriter, readLockFile } from '../lock/lock-file.ts';
import type { LockEntry, Pipeline, StageDefinition } from '../pipeline-types.ts';
import { changeReasons } from './change-detection.ts';
import { flattenParams } from './param-values.ts';
import { LocalRunCache } from './run-cache.ts';
import type { PipelineRunStatus, PlannedStage, RunEvent, RunSummary, StageSummary } from './run-events.ts';
import type { RunRecorder, StageRecord } from './run-recorder.ts';
import { selectStages } from './select-stages.ts';
import { ignoreOutputs } from './stage-outputs.ts';
import { checkStage, finishStage, type RunContext, startStage } from './stage-runner.ts';
import { PathHashes, readStageState } from './stage-state.ts';

export interface RunPipelineOptions {
  ctx: DataContext;
  pipeline: Pipeline;
  /** Stages to bring up to date (with what they need upstream); all when empty. */
  targets?: readonly string[];
  /** Also run the stages that depend on the targets. */
  downstream?: boolean;
  /** Run every selected stage, changed or not, without looking in the run cache. */
  force?: boolean;
  /** Look in the run cache before running a changed stage (default true). */
  useRunCache?: boolean;
  /** Stages in flight at once at most; default: the executor's (local: the number of cores). */
  jobs?: number;
  /** The environment stages start from (the user's). */
  env: NodeJS.ProcessEnv;
  /** Passed to stages as CAIRN_TRACKING_URI. */
  trackingUri: string;
  /** Stage logs go to `<logRoot>/<run id>/<stage>.log`. */
  logRoot: string;
  /** Param overrides this run uses (already applied to `pipeline`), recorded with the run. */
  overrides?: Readonly<Record<string, unknown>>;
  recorder?: RunRecorder;
  /** Runs the stages' commands; default: a LocalExecutor, in this process. */
  executor?: StageExecutor;
  /** Aborting stops every running stage; the run ends KILLED. */
  signal?: AbortSignal;
  /** For the default executor: how long stopped stages get between SIGTERM and SIGKILL (default 3 s). */
  killGraceMs?: number;
  onEvent?: (event: RunEvent) => void;
}

/**
 * `cairn run`: brings the selected stages up to date, independent stages in parallel, writing
 * each stage's `cairn.lock` entry as soon as it succeeds. A failed stage stops its dependents
 * only; an aborted run stops every stage and writes nothing for them. The executor decides where
 * the commands run; everything else (checks, lock, run cache, tracked run) happens here.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunSummary> {
  const { ctx, pipeline } = options;
  const selected = selectStages(pipeline, options.targets ?? [], options.downstream ?? false);
  const byName = new Map(pipeline.stages.map((s) => [s.name, s]));
  const lockWriter = await LockWriter.open(ctx.root);
  const lock = lockWriter.lock;
  const summaries = new Map<string, StageSummary>();
  const emit = (event: RunEvent) => {
    if (event.type === 'stage') {
      summaries.set(event.stage, {
        name: event.stage,
        status: event.state,
        reasons: event.reasons,
        duration_ms: event.durationMs ?? 0,
        ...(event.error !== undefined ? { error: event.error } : {}),
      });
    }
    options.onEvent?.(event);
  };
  const warn = (message: string) => emit({ type: 'warning', message });

  const { recorder, runId } = await startRecording(options, warn);
  emit({ type: 'started', runId, stages: selected });
  for (const name of selected) {
    summaries.set(name, { name, status: 'waiting', reasons: [], duration_ms: 0 });
    emit({ type: 'stage', stage: name, state: 'waiting', reasons: [] });
  }

  const remotes = remoteOnDemand(ctx, warn);
  const inPipeline = new Set(pipeline.stages.map((s) => s.name));
  let commits: Promise<void> = Promise.resolve();
  const commit = (stage: StageDefinition, entry: LockEntry): Promise<void> => {
    const next = commits.then(async () => {
      await lockWriter.update({ [stage.name]: entry }, (n) => inPipeline.has(n));
      await ignoreOutputs(ctx.root, stage);
    });
    commits = next.catch(() => undefined);
    return next;
  };
  const record = (r: StageRecord) => void recorder?.recordStage(r);
  const run: RunContext = {
    ctx,
    pipeline,
    runId,
    locked: lock.stages,
    force: options.force ?? false,
    useRunCache: options.useRunCache ?? true,
    runCache: new LocalRunCache(ctx.cache.root),
    hashes: new PathHashes(ctx),
    remote: remotes.get,
    dropRemote: remotes.drop,
    env: options.env,
    cairnEnv: { CAIRN_RUN_ID: runId, CAIRN_TRACKING_URI: options.trackingUri, CAIRN_WORKSPACE: ctx.root },
    logDir: join(options.logRoot, runId),
    ...(options.signal ? { signal: options.signal } : {}),
    emit,
    commit,
    record,
  };
  const notRun = (name: string, reasons: string[]) => {
    emit({ type: 'stage', stage: name, state: 'not-run', reasons, durationMs: 0 });
    record({ name, status: 'not-run', durationMs: 0, dataInputs: [], outputs: [], metricsFiles: [] });
  };
  const steps: StageSteps = {
    ctx,
    runId,
    env: options.env,
    check: (name) => checkStage(run, byName.get(name) as StageDefinition),
    started: (work) => startStage(run, work),
    output: (stage, stream, line) => emit({ type: 'output', stage, stream, line }),
    finish: (work, execution) => finishStage(run, work, execution),
    notRun: (name, failed) => notRun(name, [failed ? `upstream ${failed} failed` : 'run stopped']),
    crashed: (name, started, err) => {
      const message = isCairnError(err) ? err.message : `internal error: ${(err as Error).message}`;
      const durationMs = Date.now() - started;
      emit({ type: 'stage', stage: name, state: 'failed', reasons: [], durationMs, error: message });
      record({ name, status: 'failed', durationMs, dataInputs: [], outputs: [], metricsFiles: [] });
      return 'failed';
    },
    warn,
    remote: remotes.get,
  };

  const executor =
    options.executor ??
    new LocalExecutor(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {});
  let results: Awaited<ReturnType<StageExecutor['runStages']>>;
  try {
    results = await executor.runStages(
      { order: selected, upstream: pipeline.upstream, stages: byName },
      steps,
      {
        ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    await commits;
  } catch (err) {
    // The executor broke down (its service went away): the run ends FAILED, not RUNNING forever.
    await recorder?.finish('FAILED');
    await recorder?.flush();
    await remotes.close();
    throw err;
  }
  const outcomes = [...results.values()];
  const stopped = options.signal?.aborted && outcomes.some((o) => o === 'killed' || o === 'not-run');
  const status: PipelineRunStatus = stopped
    ? 'KILLED'
    : outcomes.some((o) => o === 'failed' || o === 'killed')
      ? 'FAILED'
      : 'FINISHED';
  if (recorder) {
    await recorder.finish(status);
    await recorder.flush();
  }
  await remotes.close();
  return { run_id: runId, status, stages: selected.map((n) => summaries.get(n) as StageSummary) };
}

export type PlanOptions = Pick<RunPipelineOptions, 'ctx' | 'pipeline' | 'targets' | 'downstream' | 'force'>;

/**
 * `cairn run --dry-run`: which selected stages would run and why, changing nothing. A stage whose
 * upstream would run is listed as running too, since its deps may change.
 */
export async function planPipeline(options: PlanOptions): Promise<PlannedStage[]> {
  const { ctx, pipeline } = options;
  const selected = selectStages(pipeline, options.targets ?? [], options.downstream ?? false);
  const byName = new Map(pipeline.stages.map((s) => [s.name, s]));
  const lock = await readLockFile(ctx.root);
  const hashes = new PathHashes(ctx);
  const states = await Promise.all(
    selected.map((n) => readStageState(hashes, pipeline, byName.get(n) as StageDefinition)),
  );
  const willRun = new Set<string>();
  return selected.map((name, i) => {
    const stage = byName.get(name) as StageDefinition;
    const state = states[i] as (typeof states)[number];
    const reasons = options.force ? ['forced (--force)'] : changeReasons(stage, lock.stages[name], state);
    for (const p of state.missingParams) reasons.push(`param ${p} is not defined`);
    for (const u of pipeline.upstream.get(name) ?? [])
      if (willRun.has(u)) reasons.push(`upstream ${u} will run`);
    if (reasons.length > 0) willRun.add(name);
    return { name, will_run: reasons.length > 0, reasons };
  });
}

/**
 * Creates the tracked run. A tracking store that cannot be written does not stop the pipeline:
 * the run goes ahead under a local id, with a warning saying it was not recorded.
 */
async function startRecording(
  options: RunPipelineOptions,
  warn: (message: string) => void,
): Promise<{ recorder: RunRecorder | undefined; runId: string }> {
  const recorder = options.recorder;
  if (recorder) {
    try {
      return {
        recorder,
        runId: await recorder.start(flattenParams(options.pipeline.params), options.overrides ?? {}),
      };
    } catch (err) {
      warn(`this run is not recorded: the tracking store failed (${(err as Error).message})`);
    }
  }
  return { recorder: undefined, runId: randomUUID().replaceAll('-', '') };
}

/** The default remote, opened the first time a stage asks; failures only turn it off. */
function remoteOnDemand(ctx: DataContext, warn: (message: string) => void) {
  let opened: Promise<OpenedRemote | undefined> | undefined;
  let dropped = false;
  return {
    get: (): Promise<OpenedRemote | undefined> => {
      if (dropped) return Promise.resolve(undefined);
      opened ??= ctx.openRemote().catch((err: unknown) => {
        // No remote configured is normal; a configured one that fails is worth a word.
        if (!(isCairnError(err) && err.code === 'FAILED_PRECONDITION'))
          warn(`run cache: remote not used (${(err as Error).message})`);
        return undefined;
      });
      return opened;
    },
    drop: (reason: string) => {
      if (!dropped) warn(`run cache: remote not used for the rest of this run (${reason})`);
      dropped = true;
    },
    close: async () => {
      const r = await opened;
      await r?.store.close?.();
    },
  };
}
