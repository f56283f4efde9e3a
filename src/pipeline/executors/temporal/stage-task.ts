/**
 * What travels through Temporal for a pipeline run: names, paths, hashes and URIs, never data
 * (the service limits a payload to about 2 MB). Shared by the client (`cairn run`), the workflow
 * and the workers, so this module holds types and constants only.
 */
import type { LockedPath, OutputSpec } from '../../pipeline-types.ts';
import type { TaskOutcome } from '../../run/scheduler.ts';

/** The task queue Cairn's workflows are started on; every `cairn worker` polls it. */
export const WORKFLOW_QUEUE = 'cairn-workflows';

/** The workflow that runs one `cairn run`: the exported function of pipeline-workflow.ts. */
export const PIPELINE_WORKFLOW = 'cairnPipelineRun';

/** The activity id of a stage's run is this prefix and the stage's name. */
export const RUN_STAGE_ACTIVITY_PREFIX = 'stage:';

/** A remote as the workspace configured it, without credentials: workers bring their own. */
export interface RemoteLocation {
  url: string;
  endpoint?: string;
  region?: string;
  path_style?: boolean;
}

/** One stage to run on a worker. */
export interface StageTask {
  runId: string;
  stage: string;
  queue: string;
  cmd: string[];
  wdir: string;
  /** The stage's `env` with CAIRN_RUN_ID and CAIRN_STAGE. */
  env: Record<string, string>;
  /** What the worker puts in its scratch workspace first: deps, params files, persisted outputs. */
  inputs: LockedPath[];
  /** Inputs that are single executable files: their mode does not travel with their hash. */
  executable: string[];
  /** Every output the stage declares (outs, metrics, plots). */
  outs: OutputSpec[];
  /** The run-cache key, when the stage's results can be reused. */
  key?: `sha256:${string}`;
  /** Whether a run-cache entry on the remote may stand in for running it. */
  useRunCache: boolean;
  /** Where inputs come from and outputs go. */
  remote: RemoteLocation;
}

/** How a stage ended on a worker. */
export type StageResult =
  | {
      status: 'done';
      outs: LockedPath[];
      /** The stage's log as an object on the remote; absent when the outputs came from the run cache. */
      log?: `sha256:${string}`;
      worker: string;
    }
  | { status: 'failed'; error: string; tail?: string[]; log?: `sha256:${string}`; worker?: string }
  | { status: 'killed' };

/** A stage's check on the client: it ended there, or here is what to run. */
export type StageCheckResult = { outcome: TaskOutcome | 'not-run' } | { task: StageTask };

export interface PipelineStageInput {
  name: string;
  /** The stages of this workflow it waits for. */
  upstream: string[];
  /** Checked already by the client: run this without asking it again. */
  task?: StageTask;
}

export interface PipelineWorkflowInput {
  runId: string;
  /** The task queue the client (`cairn run`) serves its own activities on. */
  runQueue: string;
  /** Stages in flight at most. */
  jobs: number;
  /** In a topological order. */
  stages: PipelineStageInput[];
  /** A worker silent for this long has lost its stage, which is then retried. */
  heartbeatTimeoutMs: number;
  /** Attempts per stage (a failing command is not retried; a lost worker is). */
  attempts: number;
}

/** Each stage's outcome. */
export type PipelineWorkflowResult = Record<string, TaskOutcome | 'not-run'>;

/** Activities the client serves on its run queue: the workspace side of each stage. */
export interface RunActivities {
  checkStage(name: string): Promise<StageCheckResult>;
  finishStage(name: string, result: StageResult): Promise<TaskOutcome>;
  stageNotRun(name: string, failedUpstream: string | null): Promise<void>;
}

/** Activities `cairn worker` serves on the stage queues. */
export interface StageActivities {
  runStage(task: StageTask): Promise<StageResult>;
}

/** What a running stage's heartbeats carry: its phase and its latest output lines. */
export interface StageProgress {
  stage: string;
  phase: 'fetching' | 'running' | 'pushing';
  /** Output lines written so far; `lines` are the last of them. */
  seq: number;
  lines: { stream: 'stdout' | 'stderr'; line: string }[];
}
