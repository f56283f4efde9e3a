import { defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { errors } from '../../../kernel/errors.ts';
import type { OutputStream } from '../../run/stage-process.ts';
import { RUN_STAGE_ACTIVITY_PREFIX, type StageProgress, WORKFLOW_QUEUE } from './stage-task.ts';

export interface WatchRunOptions {
  /** The workflow's stages and the task queue each runs on. */
  stages: readonly { name: string; queue: string }[];
  attempts: number;
  pollMs: number;
  /** Say so when nothing picks a task up for this long. */
  idleWarningMs: number;
  /** Give up when the service has not answered for this long. */
  lostAfterMs: number;
  /** The executor's URI, for advice. */
  uri: string;
  output(stage: string, stream: OutputStream, line: string): void;
  warn(message: string): void;
}

/** The numeric states of pending tasks in DescribeWorkflowExecution. */
const SCHEDULED = 1;

interface PendingActivity {
  activityId?: string | null;
  state?: number | null;
  attempt?: number | null;
  heartbeatDetails?: { payloads?: unknown[] | null } | null;
  lastFailure?: { message?: string | null } | null;
  lastWorkerIdentity?: string | null;
}

/**
 * Follows a running workflow by asking the service for its pending activities every `pollMs`:
 * the output lines running stages' heartbeats carry, retries after a lost worker, and tasks no
 * worker picks up. `lost` rejects when the service stops answering.
 */
export function watchRun(
  handle: WorkflowHandle,
  options: WatchRunOptions,
): { lost: Promise<never>; stop(): void } {
  const queueOf = new Map(options.stages.map((s) => [s.name, s.queue]));
  const seen = new Map<string, { attempt: number; seq: number }>();
  const waitingSince = new Map<string, number>();
  const warned = new Set<string>();
  let failingSince: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reject: (err: Error) => void = () => undefined;
  const lost = new Promise<never>((_, r) => {
    reject = r;
  });
  lost.catch(() => undefined);

  const once = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    options.warn(message);
  };
  const waited = (key: string, waiting: boolean): boolean => {
    if (!waiting) {
      waitingSince.delete(key);
      return false;
    }
    const since = waitingSince.get(key) ?? Date.now();
    waitingSince.set(key, since);
    return Date.now() - since >= options.idleWarningMs;
  };

  const look = async () => {
    let raw: Awaited<ReturnType<WorkflowHandle['describe']>>['raw'];
    try {
      raw = (await handle.describe()).raw;
      failingSince = undefined;
    } catch (err) {
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= options.lostAfterMs)
        reject(
          errors.unavailable(`lost the Temporal service: ${(err as Error).message.split('\n')[0]}`, {
            hint: `the run's workflow may go on; see it with: temporal workflow describe --workflow-id ${handle.workflowId}`,
          }),
        );
      return;
    }
    if (waited('workflow', raw.pendingWorkflowTask?.state === SCHEDULED))
      once(
        'workflow',
        `no worker has taken up this run (task queue ${WORKFLOW_QUEUE}): start one with cairn worker --executor ${options.uri}`,
      );
    for (const a of (raw.pendingActivities ?? []) as PendingActivity[]) {
      const id = a.activityId ?? '';
      if (!id.startsWith(RUN_STAGE_ACTIVITY_PREFIX)) continue;
      const stage = id.slice(RUN_STAGE_ACTIVITY_PREFIX.length);
      const attempt = a.attempt ?? 1;
      if (waited(id, a.state === SCHEDULED))
        once(
          `${id}#${attempt}`,
          `${stage} is waiting for a worker on task queue ${queueOf.get(stage)}: start one with cairn worker --executor ${options.uri} --queue ${queueOf.get(stage)}`,
        );
      const last = seen.get(stage);
      if (attempt > 1 && last?.attempt !== attempt)
        once(
          `${id}@${attempt}`,
          `${stage}: attempt ${attempt} of ${options.attempts}${a.lastFailure?.message ? ` after ${a.lastFailure.message}` : ''}${a.lastWorkerIdentity ? ` (last on worker ${a.lastWorkerIdentity})` : ''}`,
        );
      const progress = decode(a.heartbeatDetails?.payloads?.[0]);
      const before = last?.attempt === attempt ? last.seq : 0;
      seen.set(stage, { attempt, seq: progress?.seq ?? before });
      if (!progress || progress.seq <= before) continue;
      for (const l of progress.lines.slice(-(progress.seq - before))) options.output(stage, l.stream, l.line);
    }
  };
  const loop = async () => {
    if (stopped) return;
    await look();
    if (!stopped) timer = setTimeout(loop, options.pollMs);
  };
  timer = setTimeout(loop, options.pollMs);
  return {
    lost,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function decode(payload: unknown): StageProgress | undefined {
  if (!payload) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload(
      payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0],
    );
    return value && typeof value === 'object' && Array.isArray((value as StageProgress).lines)
      ? (value as StageProgress)
      : undefined;
  } catch {
    return undefined;
  }
}
