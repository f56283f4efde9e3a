import { availableParallelism } from 'node:os';
import { executeStage } from '../../run/execute-stage.ts';
import { type ScheduleResult, schedule } from '../../run/scheduler.ts';
import { StageWatchdog } from '../../run/stage-watchdog.ts';
import type { ExecutorRunOptions, StageDag, StageExecutor, StageSteps } from '../stage-executor.ts';

export interface LocalExecutorOptions {
  /** How long stopped stages get between SIGTERM and SIGKILL (default 3 s). */
  killGraceMs?: number;
}

/**
 * The default executor: runs stages in this process, in the workspace itself, as many at once as
 * `jobs` allows (default: the number of cores).
 */
export class LocalExecutor implements StageExecutor {
  readonly name = 'local';
  readonly #options: LocalExecutorOptions;

  constructor(options: LocalExecutorOptions = {}) {
    this.#options = options;
  }

  runStages(dag: StageDag, steps: StageSteps, options: ExecutorRunOptions): Promise<ScheduleResult> {
    const { signal } = options;
    // Stages must not outlive this process, however it dies (see StageWatchdog).
    const watchdog = new StageWatchdog(
      this.#options.killGraceMs !== undefined ? { killGraceMs: this.#options.killGraceMs } : {},
    );
    return schedule({
      order: dag.order,
      upstream: dag.upstream,
      jobs: options.jobs ?? availableParallelism(),
      ...(signal ? { signal } : {}),
      run: async (name) => {
        const started = Date.now();
        try {
          const checked = await steps.check(name);
          if ('outcome' in checked) return checked.outcome;
          const { work } = checked;
          steps.started(work);
          const execution = await executeStage({
            ctx: steps.ctx,
            stage: work.stage,
            env: { ...steps.env, ...work.stage.env, ...work.cairnEnv },
            logFile: work.logFile,
            storeAll: work.key !== undefined,
            onLine: (stream, line) => steps.output(name, stream, line),
            ...(signal ? { signal } : {}),
            ...(this.#options.killGraceMs !== undefined ? { killGraceMs: this.#options.killGraceMs } : {}),
            watchdog,
          });
          return await steps.finish(work, execution);
        } catch (err) {
          return steps.crashed(name, started, err);
        }
      },
      onNotRun: (name, failed) => steps.notRun(name, failed),
    }).finally(() => watchdog.close());
  }
}
