import type { NativeConnection, Worker } from '@temporalio/worker';
import { errors } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';

/** Activities served on one task queue. */
export interface ActivityQueue {
  taskQueue: string;
  /** Activity name → implementation. */
  activities: object;
  /** Activities running at once at most. */
  concurrency: number;
}

/** Workflow code bundled for the worker's sandbox (see bundleWorkflows). */
export interface WorkflowBundle {
  code: string;
}

export interface TemporalWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  /** Shown in Temporal's history as the worker that ran each task. */
  identity: string;
  /** Workflow code and the task queue its workflows are started on; none for an activity-only worker. */
  workflows?: { taskQueue: string; bundle: WorkflowBundle };
  activities: readonly ActivityQueue[];
  /** Heartbeats reach the service at most this often (default 1 s): they carry live progress. */
  heartbeatIntervalMs?: number;
  /** On shutdown, how long running activities may go on before they are cancelled (default 1 s). */
  shutdownGraceMs?: number;
}

/** Workers polling some task queues of one namespace; run() resolves once shutdown() has drained them. */
export interface TemporalWorkers {
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Creates one SDK worker per task queue (the workflow queue shares a worker with activities on
 * the same queue). Nothing polls until run().
 */
export async function createTemporalWorkers(options: TemporalWorkersOptions): Promise<TemporalWorkers> {
  const { Worker } = await import('@temporalio/worker');
  const queues = new Map<string, { activities?: ActivityQueue; workflows?: WorkflowBundle }>();
  for (const a of options.activities) {
    if (queues.get(a.taskQueue)?.activities)
      throw errors.invalid(`task queue ${a.taskQueue} is given twice`, { hint: 'name each queue once' });
    queues.set(a.taskQueue, { activities: a });
  }
  if (options.workflows) {
    const q = queues.get(options.workflows.taskQueue) ?? {};
    queues.set(options.workflows.taskQueue, { ...q, workflows: options.workflows.bundle });
  }
  const workers: Worker[] = [];
  for (const [taskQueue, q] of queues)
    workers.push(
      await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue,
        identity: options.identity,
        ...(q.workflows ? { workflowBundle: q.workflows } : {}),
        ...(q.activities
          ? {
              activities: q.activities.activities,
              maxConcurrentActivityTaskExecutions: q.activities.concurrency,
              maxHeartbeatThrottleInterval: options.heartbeatIntervalMs ?? 1000,
            }
          : {}),
        shutdownGraceTime: options.shutdownGraceMs ?? 1000,
      }),
    );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    shutdown,
    run: async () => {
      if (stopping) return;
      const runs = workers.map((w) =>
        w.run().catch((err: unknown) => {
          // One queue's worker failing takes the others down with it: a half-working worker hides.
          shutdown();
          throw err;
        }),
      );
      const results = await Promise.allSettled(runs);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}

/**
 * Bundles a module of workflow functions (TypeScript in a clone, compiled JavaScript in the
 * installed package) for the workers' deterministic sandbox. Takes a few seconds.
 */
export async function bundleWorkflows(workflowsPath: string, log: Logger): Promise<WorkflowBundle> {
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: new DefaultLogger('WARN', (entry) => log.warn({ bundler: entry.meta ?? {} }, entry.message)),
  });
  return { code };
}
