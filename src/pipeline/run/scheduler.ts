/** How one scheduled task ended. */
export const TASK_OUTCOMES = ['done', 'skipped', 'restored', 'failed', 'killed'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

export interface ScheduleOptions {
  /** Task names in a topological order; ready tasks start in this order. */
  order: readonly string[];
  /** For each task, the tasks that must succeed first (names outside `order` are ignored). */
  upstream: ReadonlyMap<string, readonly string[]>;
  /** Tasks in flight at most. */
  jobs: number;
  /** Once aborted, no task starts; tasks in flight are expected to stop themselves. */
  signal?: AbortSignal;
  /** Runs a task; `not-run` when it decided not to start after all (the run was stopped). */
  run(name: string): Promise<TaskOutcome | 'not-run'>;
  /**
   * Called for a task that will not start, with the failed task that blocked it (however far
   * upstream), or undefined when the run was aborted.
   */
  onNotRun?(name: string, failedUpstream: string | undefined): void;
}

export type ScheduleResult = Map<string, TaskOutcome | 'not-run'>;

const SUCCESS: ReadonlySet<string> = new Set(['done', 'skipped', 'restored']);

/**
 * Runs a DAG of tasks with at most `jobs` at once. A task starts when every upstream task
 * succeeded (done, skipped or restored). A failure stops only its dependents: tasks already
 * running, and tasks independent of it, carry on. A task that throws counts as failed.
 */
export function schedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const result: ScheduleResult = new Map();
  const names = new Set(options.order);
  const ups = new Map(
    options.order.map((n) => [n, (options.upstream.get(n) ?? []).filter((u) => names.has(u))]),
  );
  const culprit = new Map<string, string>();
  const pending = [...options.order];
  const jobs = Math.max(1, options.jobs);
  let running = 0;

  return new Promise<ScheduleResult>((resolve) => {
    const notRun = (name: string, blockedBy: string | undefined) => {
      const failed = blockedBy === undefined ? undefined : (culprit.get(blockedBy) ?? blockedBy);
      if (failed !== undefined) culprit.set(name, failed);
      result.set(name, 'not-run');
      options.onNotRun?.(name, failed);
    };
    const pump = () => {
      let i = 0;
      while (i < pending.length) {
        const name = pending[i] as string;
        const deps = ups.get(name) ?? [];
        const blocked = deps.find((u) => result.has(u) && !SUCCESS.has(result.get(u) as string));
        if (blocked !== undefined || options.signal?.aborted) {
          pending.splice(i, 1);
          notRun(name, blocked);
          i = 0; // tasks earlier in the list may depend on this one
          continue;
        }
        if (running >= jobs || !deps.every((u) => SUCCESS.has(result.get(u) ?? ''))) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        running++;
        options
          .run(name)
          .catch((): TaskOutcome => 'failed')
          .then((outcome) => {
            result.set(name, outcome);
            running--;
            pump();
          });
      }
      if (pending.length === 0 && running === 0) {
        options.signal?.removeEventListener('abort', pump);
        resolve(result);
      }
    };
    options.signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
}
