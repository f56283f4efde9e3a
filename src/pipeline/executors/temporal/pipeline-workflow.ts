/**
 * The workflow of one `cairn run` on Temporal: the DAG of its stages. Workflow code must be
 * deterministic; it only orders activities. A stage whose upstream succeeded is checked by the
 * client (`checkStage`, on the run's own queue), run on a worker of its queue (`runStage`, retried
 * when a worker is lost), and ended by the client (`finishStage`, which writes cairn.lock).
 */
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import { schedule } from '../../run/scheduler.ts';
import {
  type PipelineWorkflowInput,
  type PipelineWorkflowResult,
  RUN_STAGE_ACTIVITY_PREFIX,
  type RunActivities,
  type StageActivities,
  type StageResult,
} from './stage-task.ts';

export async function cairnPipelineRun(input: PipelineWorkflowInput): Promise<PipelineWorkflowResult> {
  const root = CancellationScope.current();
  const client = proxyActivities<RunActivities>({
    taskQueue: input.runQueue,
    // The client is `cairn run` itself: when it is gone, its stages fail instead of waiting.
    scheduleToStartTimeout: '5 minutes',
    startToCloseTimeout: '30 days',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  // One proxy per stage: its activity id names the stage, so the client can show its progress.
  const workers = (queue: string, stage: string): StageActivities =>
    proxyActivities<StageActivities>({
      taskQueue: queue,
      activityId: `${RUN_STAGE_ACTIVITY_PREFIX}${stage}`,
      startToCloseTimeout: '30 days',
      heartbeatTimeout: input.heartbeatTimeoutMs,
      // A stopped run waits until the worker has stopped the stage's processes.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        maximumAttempts: input.attempts,
        initialInterval: '1 second',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
      },
    });
  // Telling the client what happened must not be cancelled along with the run.
  const tell = <T>(fn: () => Promise<T>): Promise<T> => CancellationScope.nonCancellable(fn);
  const notices: Promise<void>[] = [];
  const byName = new Map(input.stages.map((s) => [s.name, s]));

  const results = await schedule({
    order: input.stages.map((s) => s.name),
    upstream: new Map(input.stages.map((s) => [s.name, s.upstream])),
    jobs: input.jobs,
    run: async (name) => {
      if (root.consideredCancelled) {
        notices.push(tell(() => client.stageNotRun(name, null)));
        return 'not-run';
      }
      let task = byName.get(name)?.task;
      if (!task) {
        const checked = await tell(() => client.checkStage(name));
        if ('outcome' in checked) return checked.outcome;
        task = checked.task;
      }
      let result: StageResult;
      try {
        result = await workers(task.queue, name).runStage(task);
      } catch (err) {
        result = isCancellation(err)
          ? { status: 'killed' }
          : { status: 'failed', error: `gave up after ${input.attempts} attempt(s): ${failureText(err)}` };
      }
      return tell(() => client.finishStage(name, result));
    },
    onNotRun: (name, failed) => notices.push(tell(() => client.stageNotRun(name, failed ?? null))),
  });
  await Promise.all(notices);
  return Object.fromEntries(results);
}

/** The innermost message of an activity failure: what went wrong on the worker. */
function failureText(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as { message?: string; cause?: unknown };
  return e?.message ?? String(err);
}
