import type { DataContext, OpenedRemote } from '../../data/data-context.ts';
import type { Digest } from '../../kernel/hashing.ts';
import type { LockedPath, StageDefinition } from '../pipeline-types.ts';
import type { ScheduleResult, TaskOutcome } from '../run/scheduler.ts';
import type { OutputStream } from '../run/stage-process.ts';
import type { StageState } from '../run/stage-state.ts';

/** A stage that must run: why, what its inputs hold, and where its log goes. */
export interface StageWork {
  stage: StageDefinition;
  reasons: string[];
  /** Its deps' hashes and params' values when it was checked; its lock entry records these. */
  state: StageState;
  /** Its run-cache key; undefined when its results cannot be reused (see isRunCacheable). */
  key: Digest | undefined;
  /** Whether a run-cache entry may stand in for running it (not with --force or --no-run-cache). */
  useRunCache: boolean;
  /** CAIRN_RUN_ID and CAIRN_STAGE, set over the stage's environment. */
  cairnEnv: Record<string, string>;
  logFile: string;
  /** When its check began (ms since the epoch): its duration counts from here. */
  started: number;
}

/** What checking a stage decided: it ended already (skipped, restored, failed), or it must run. */
export type StageCheck = { outcome: TaskOutcome | 'not-run' } | { work: StageWork };

/** How running a stage's commands ended. */
export type StageExecution =
  | { status: 'done'; outs: ReadonlyMap<string, LockedPath> }
  | { status: 'failed'; error: string; tail?: string[] }
  | { status: 'killed' };

/**
 * The workspace side of a run, the same whatever runs the commands: checking a stage against
 * `cairn.lock` and the run cache, writing its lock entry, recording it, reporting its progress.
 */
export interface StageSteps {
  readonly ctx: DataContext;
  readonly runId: string;
  /** The user's environment, which stages run on this machine start from. */
  readonly env: NodeJS.ProcessEnv;
  /** Decides whether the stage must run; emits and records it when it need not. */
  check(name: string): Promise<StageCheck>;
  /** The stage's commands start (or are handed to a worker). */
  started(work: StageWork): void;
  output(stage: string, stream: OutputStream, line: string): void;
  /** Records the end of a stage that ran: its lock entry and run-cache entry when it succeeded. */
  finish(work: StageWork, execution: StageExecution): Promise<TaskOutcome>;
  /** A stage that will not start: an upstream stage failed, or the run was stopped. */
  notRun(name: string, failedUpstream: string | undefined): void;
  /** A stage that broke with an unexpected error: reported as failed. */
  crashed(name: string, started: number, err: unknown): TaskOutcome;
  warn(message: string): void;
  /** The workspace's default remote, opened on first use; undefined when there is none. */
  remote(): Promise<OpenedRemote | undefined>;
}

/** The stages of one run: a topological order and, for each stage, those it waits for. */
export interface StageDag {
  order: readonly string[];
  upstream: ReadonlyMap<string, readonly string[]>;
  stages: ReadonlyMap<string, StageDefinition>;
}

export interface ExecutorRunOptions {
  /** Stages in flight at most; the executor's default when unset. */
  jobs?: number;
  /** Aborting stops every running stage. */
  signal?: AbortSignal;
}

/**
 * Runs the stages of a pipeline: in this process (`local`, the default) or on workers
 * (`temporal://…`). A stage starts once every stage it waits for succeeded; a failure stops
 * only its dependents.
 */
export interface StageExecutor {
  /** `local`, or the executor's URI, for messages. */
  readonly name: string;
  runStages(dag: StageDag, steps: StageSteps, options: ExecutorRunOptions): Promise<ScheduleResult>;
  close?(): Promise<void>;
}
