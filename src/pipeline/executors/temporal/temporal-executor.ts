import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { OpenedRemote } from '../../../data/data-context.ts';
import type { TemporalConnection } from '../../../engine/temporal/temporal-connection.ts';
import type { TemporalTarget } from '../../../engine/temporal/temporal-target.ts';
import { createTemporalWorkers } from '../../../engine/temporal/temporal-worker.ts';
import { mapConcurrent } from '../../../kernel/concurrency.ts';
import { errors, isCairnError } from '../../../kernel/errors.ts';
import type { Logger } from '../../../kernel/logging.ts';
import { type ScheduleResult, schedule, type TaskOutcome } from '../../run/scheduler.ts';
import type {
  ExecutorRunOptions,
  StageDag,
  StageExecution,
  StageExecutor,
  StageSteps,
  StageWork,
} from '../stage-executor.ts';
import { watchRun } from './run-progress.ts';
import { bringHome, publishStage } from './stage-data.ts';
import {
  PIPELINE_WORKFLOW,
  type PipelineWorkflowInput,
  type RemoteLocation,
  type RunActivities,
  type StageCheckResult,
  type StageResult,
  type StageTask,
  WORKFLOW_QUEUE,
} from './stage-task.ts';

export interface TemporalExecutorOptions {
  target: TemporalTarget;
  /** Open, with the namespace checked (see connectTemporal); closed by close(). */
  connection: TemporalConnection;
  /** The task queue of stages that name none in cairn.yaml. */
  queue: string;
  /** A worker silent for this long has lost its stage, which is then retried elsewhere. */
  heartbeatTimeoutMs: number;
  /** Attempts per stage. */
  attempts: number;
  /** The remote stages' data moves through (the workspace's default), as workers will open it. */
  remote: RemoteLocation;
  log: Logger;
  /** How often progress is read from the service (default 1 s). */
  pollMs?: number;
  /** Say so when nothing picks a task up for this long (default 15 s). */
  idleWarningMs?: number;
}

const SUCCESS: ReadonlySet<string> = new Set(['done', 'skipped', 'restored']);

/**
 * Runs a pipeline's stages on `cairn worker` processes through Temporal. Stages whose inputs and
 * upstream are unchanged are settled here first (skipped or restored, no workflow at all when
 * nothing needs to run); the rest go to one workflow that hands each stage, once its upstream
 * succeeded, to a worker on the stage's task queue. This process serves the workflow's
 * workspace-side activities (check, finish) on a queue of its own, so cairn.lock, the run cache
 * and the tracked run are written here exactly as for a local run.
 */
export class TemporalExecutor implements StageExecutor {
  readonly name: string;
  readonly #options: TemporalExecutorOptions;

  constructor(options: TemporalExecutorOptions) {
    this.name = options.target.uri;
    this.#options = options;
  }

  runStages(dag: StageDag, steps: StageSteps, options: ExecutorRunOptions): Promise<ScheduleResult> {
    return new TemporalRun(this.#options, dag, steps, options).execute();
  }

  async close(): Promise<void> {
    await this.#options.connection.close();
  }
}

class TemporalRun {
  readonly #o: TemporalExecutorOptions;
  readonly #dag: StageDag;
  readonly #steps: StageSteps;
  readonly #run: ExecutorRunOptions;
  readonly #outcomes: ScheduleResult = new Map();
  readonly #works = new Map<string, StageWork>();
  /** For a stage that will not run: the failed stage that blocked it. */
  readonly #culprits = new Map<string, string>();
  /** Why the workflow ended before its stages did, when it did. */
  #broken: string | undefined;

  constructor(o: TemporalExecutorOptions, dag: StageDag, steps: StageSteps, run: ExecutorRunOptions) {
    this.#o = o;
    this.#dag = dag;
    this.#steps = steps;
    this.#run = run;
  }

  async execute(): Promise<ScheduleResult> {
    const waiting = await this.#settleLocally();
    const ready = [...this.#works.keys()].filter((n) => !this.#outcomes.has(n));
    if (this.#run.signal?.aborted) {
      for (const name of [...ready, ...waiting]) this.#notRun(name, undefined);
      return this.#outcomes;
    }
    const tasks = new Map<string, StageTask>();
    await mapConcurrent(ready, 8, async (name) => {
      const work = this.#works.get(name) as StageWork;
      try {
        tasks.set(name, await this.#publish(work));
      } catch (err) {
        await this.#fail(work, err);
      }
    });
    const members = this.#members([...ready, ...waiting]);
    if (members.length > 0) await this.#runWorkflow(members, tasks);
    const started = Date.now();
    for (const name of members)
      if (this.#outcomes.has(name)) continue;
      else if (this.#broken) this.#crash(name, started, errors.unavailable(this.#broken));
      else this.#notRun(name, undefined);
    return this.#outcomes;
  }

  /**
   * Checks every stage whose upstream is settled, in this process: most stages of a rerun end
   * here (skipped, restored). Resolves to the stages waiting for one that must run.
   */
  async #settleLocally(): Promise<string[]> {
    const waiting: string[] = [];
    const { signal } = this.#run;
    await schedule({
      order: this.#dag.order,
      upstream: this.#dag.upstream,
      jobs: this.#run.jobs ?? this.#dag.order.length,
      ...(signal ? { signal } : {}),
      run: async (name) => {
        const checked = await this.#check(name);
        // A stage that must run holds back its dependents here: the workflow takes them all.
        return 'work' in checked ? 'failed' : checked.outcome;
      },
      onNotRun: (name, failed) => {
        if (failed !== undefined && this.#works.has(failed) && !this.#outcomes.has(failed))
          waiting.push(name);
        else this.#notRun(name, failed);
      },
    });
    return waiting;
  }

  /** The stages the workflow runs: those whose upstream outside it all succeeded. */
  #members(candidates: readonly string[]): string[] {
    const wanted = new Set(candidates);
    const members = new Set<string>();
    for (const name of this.#dag.order) {
      if (!wanted.has(name) || this.#outcomes.has(name)) continue;
      const ups = (this.#dag.upstream.get(name) ?? []).filter((u) => this.#dag.stages.has(u));
      const blocker = ups.find((u) => !members.has(u) && !SUCCESS.has(this.#outcomes.get(u) ?? ''));
      if (blocker === undefined) members.add(name);
      else this.#notRun(name, this.#culprits.get(blocker) ?? blocker);
    }
    return [...members];
  }

  async #runWorkflow(members: string[], tasks: ReadonlyMap<string, StageTask>): Promise<void> {
    const { connection, target } = this.#o;
    const steps = this.#steps;
    const runQueue = `cairn-run-${steps.runId}`;
    const memberSet = new Set(members);
    const workers = await createTemporalWorkers({
      connection: await connection.native(),
      namespace: target.namespace,
      identity: `cairn run ${steps.runId} on ${hostname()}`,
      activities: [{ taskQueue: runQueue, activities: this.#activities(), concurrency: 32 }],
    });
    const serving = workers.run();
    serving.catch((err: unknown) =>
      steps.warn(`the run's activity worker stopped: ${(err as Error).message}`),
    );
    const input: PipelineWorkflowInput = {
      runId: steps.runId,
      runQueue,
      jobs: this.#run.jobs ?? members.length,
      stages: members.map((name) => {
        const task = tasks.get(name);
        return {
          name,
          upstream: (this.#dag.upstream.get(name) ?? []).filter((u) => memberSet.has(u)),
          ...(task ? { task } : {}),
        };
      }),
      heartbeatTimeoutMs: this.#o.heartbeatTimeoutMs,
      attempts: this.#o.attempts,
    };
    let handle: WorkflowHandle | undefined;
    try {
      handle = await connection.client.workflow.start(PIPELINE_WORKFLOW, {
        taskQueue: WORKFLOW_QUEUE,
        workflowId: `cairn-run-${steps.runId}`,
        args: [input],
      });
      for (const name of tasks.keys())
        if (memberSet.has(name)) steps.started(this.#works.get(name) as StageWork);
      await this.#follow(handle, members);
    } catch (err) {
      if (!isCairnError(err))
        throw errors.unavailable(`the run's workflow failed: ${(err as Error).message}`, { cause: err });
      throw err;
    } finally {
      workers.shutdown();
      await serving.catch(() => undefined);
    }
  }

  /** Waits for the workflow, showing its stages' progress; a stopped run cancels it. */
  async #follow(handle: WorkflowHandle, members: readonly string[]): Promise<void> {
    const { signal } = this.#run;
    const watch = watchRun(handle, {
      stages: members.map((name) => ({ name, queue: this.#dag.stages.get(name)?.queue ?? this.#o.queue })),
      attempts: this.#o.attempts,
      pollMs: this.#o.pollMs ?? 1000,
      idleWarningMs: this.#o.idleWarningMs ?? 15_000,
      lostAfterMs: Math.max(30_000, 3 * this.#o.heartbeatTimeoutMs),
      uri: this.#o.target.uri,
      output: (stage, stream, line) => this.#steps.output(stage, stream, line),
      warn: (message) => this.#steps.warn(message),
    });
    let stopTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      handle.cancel().catch(() => undefined);
      // A workflow no worker serves cannot stop itself: after a while it is ended here.
      stopTimer = setTimeout(
        () => void handle.terminate('cairn run was stopped').catch(() => undefined),
        this.#o.heartbeatTimeoutMs + 15_000,
      );
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([handle.result(), watch.lost]);
    } catch (err) {
      if (isCairnError(err)) throw err;
      if (!signal?.aborted) this.#broken = `the run's workflow ended early: ${(err as Error).message}`;
    } finally {
      signal?.removeEventListener('abort', stop);
      clearTimeout(stopTimer);
      watch.stop();
    }
  }

  #activities(): RunActivities {
    return {
      checkStage: (name) => this.#beating(() => this.#checkForWorkflow(name)),
      finishStage: (name, result) => this.#beating(() => this.#finish(name, result)),
      stageNotRun: async (name, failed) => this.#notRun(name, failed ?? undefined),
    };
  }

  /** Checks a stage here, remembering the work of one that must run. */
  async #check(name: string): Promise<{ outcome: TaskOutcome | 'not-run' } | { work: StageWork }> {
    const started = Date.now();
    try {
      const checked = await this.#steps.check(name);
      if ('outcome' in checked) this.#outcomes.set(name, checked.outcome);
      else this.#works.set(name, checked.work);
      return checked;
    } catch (err) {
      return { outcome: this.#crash(name, started, err) };
    }
  }

  /** The workflow's check: a stage that must run gets its inputs onto the remote. */
  async #checkForWorkflow(name: string): Promise<StageCheckResult> {
    const checked = await this.#check(name);
    if ('outcome' in checked) return checked;
    try {
      const task = await this.#publish(checked.work);
      this.#steps.started(checked.work);
      return { task };
    } catch (err) {
      await this.#fail(checked.work, err);
      return { outcome: this.#outcomes.get(name) ?? 'failed' };
    }
  }

  async #finish(name: string, result: StageResult): Promise<TaskOutcome> {
    const work = this.#works.get(name);
    if (!work) return this.#crash(name, Date.now(), new Error(`no check of ${name} before its end`));
    try {
      const outcome = await this.#steps.finish(work, await this.#bringHome(work, result));
      this.#outcomes.set(name, outcome);
      return outcome;
    } catch (err) {
      return this.#crash(name, work.started, err);
    }
  }

  async #publish(work: StageWork): Promise<StageTask> {
    return publishStage(this.#steps, work, await this.#remote(), {
      queue: this.#o.queue,
      remote: this.#o.remote,
    });
  }

  async #bringHome(work: StageWork, result: StageResult): Promise<StageExecution> {
    if (result.status === 'killed') return { status: 'killed' };
    return bringHome(this.#steps, work, result, await this.#remote());
  }

  async #remote(): Promise<OpenedRemote> {
    const remote = await this.#steps.remote();
    if (!remote)
      throw errors.unavailable(
        `the remote ${this.#o.remote.url} cannot be used, and stages on workers need it`,
        {
          hint: 'see the warning above; check the remote with cairn push',
        },
      );
    return remote;
  }

  /** Runs a client activity with heartbeats, so the workflow notices when this process is gone. */
  async #beating<T>(fn: () => Promise<T>): Promise<T> {
    const activity = Context.current();
    const every = Math.max(200, Math.min(1000, this.#o.heartbeatTimeoutMs / 3));
    const timer = setInterval(() => activity.heartbeat(), every);
    try {
      return await fn();
    } finally {
      clearInterval(timer);
    }
  }

  async #fail(work: StageWork, err: unknown): Promise<void> {
    const error = isCairnError(err) ? err.message : `internal error: ${(err as Error).message}`;
    this.#outcomes.set(work.stage.name, await this.#steps.finish(work, { status: 'failed', error }));
  }

  #crash(name: string, started: number, err: unknown): TaskOutcome {
    const outcome = this.#steps.crashed(name, started, err);
    this.#outcomes.set(name, outcome);
    return outcome;
  }

  #notRun(name: string, failed: string | undefined): void {
    if (this.#outcomes.has(name)) return;
    if (failed !== undefined) this.#culprits.set(name, failed);
    this.#steps.notRun(name, failed);
    this.#outcomes.set(name, 'not-run');
  }
}
