import type { OutputStream } from './stage-process.ts';

/** Where a stage is in a run. `not-run`: an upstream stage failed, or the run was stopped first. */
export const STAGE_STATES = [
  'waiting',
  'checking',
  'running',
  'skipped',
  'restored',
  'done',
  'failed',
  'not-run',
  'killed',
] as const;
export type StageStateName = (typeof STAGE_STATES)[number];

/** The states a stage ends a run in. */
export const FINAL_STATES: ReadonlySet<StageStateName> = new Set([
  'skipped',
  'restored',
  'done',
  'failed',
  'not-run',
  'killed',
]);

export const PIPELINE_RUN_STATUSES = ['FINISHED', 'FAILED', 'KILLED'] as const;
export type PipelineRunStatus = (typeof PIPELINE_RUN_STATUSES)[number];

/** What `cairn run` reports as it goes; the CLI renders these, the domain never prints. */
export type RunEvent =
  | { type: 'started'; runId: string; stages: string[] }
  | {
      type: 'stage';
      stage: string;
      state: StageStateName;
      /** Why it runs (or was restored), or why it did not. */
      reasons: string[];
      /** For final states: how long the stage took. */
      durationMs?: number;
      /** For failures: what went wrong, and the last lines of its output. */
      error?: string;
      tail?: string[];
      logFile?: string;
    }
  | { type: 'output'; stage: string; stream: OutputStream; line: string }
  | { type: 'warning'; message: string };

export interface StageSummary {
  name: string;
  status: StageStateName;
  reasons: string[];
  duration_ms: number;
  error?: string;
}

/** The outcome of one `cairn run`, as `--json` prints it. */
export interface RunSummary {
  run_id: string;
  status: PipelineRunStatus;
  stages: StageSummary[];
}

/** One stage of a dry run: whether it would run, and why. */
export interface PlannedStage {
  name: string;
  will_run: boolean;
  reasons: string[];
}
