import { createWriteStream, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline as pipe } from 'node:stream/promises';
import type { OpenedRemote } from '../../../data/data-context.ts';
import { objectKey } from '../../../data/object-key.ts';
import { errors } from '../../../kernel/errors.ts';
import { fetchOutputObjects, pushPathObjects } from '../../run/run-cache-transfer.ts';
import { placeOutputs } from '../../run/stage-outputs.ts';
import { hashPaths, stageOutputs } from '../../run/stage-state.ts';
import type { StageExecution, StageSteps, StageWork } from '../stage-executor.ts';
import type { RemoteLocation, StageResult, StageTask } from './stage-task.ts';

/**
 * Puts what a stage needs on the remote — its deps, its params files, its persisted outputs —
 * and describes it as a task: only hashes and paths go into the task.
 */
export async function publishStage(
  steps: StageSteps,
  work: StageWork,
  remote: OpenedRemote,
  options: { queue: string; remote: RemoteLocation },
): Promise<StageTask> {
  const { stage } = work;
  const { ctx } = steps;
  const persisted = stageOutputs(stage)
    .filter((o) => o.persist)
    .map((o) => o.path);
  const paths = [...new Set([...stage.deps, ...stage.params.map((p) => p.file), ...persisted])];
  const hashed = await hashPaths(ctx, paths, true);
  for (const dep of stage.deps)
    if (hashed.get(dep)?.hash !== work.state.deps.get(dep)?.hash)
      throw errors.precondition(`dep ${dep} changed while ${stage.name} was being checked`, {
        hint: 'run cairn run again once nothing writes to it',
      });
  const inputs = paths.flatMap((p) => {
    const h = hashed.get(p);
    return h ? [h] : [];
  });
  await pushPathObjects(ctx, remote, inputs);
  const executable = inputs
    .filter((i) => i.files === undefined && (statSync(join(ctx.root, i.path)).mode & 0o111) !== 0)
    .map((i) => i.path);
  return {
    runId: steps.runId,
    stage: stage.name,
    queue: stage.queue ?? options.queue,
    cmd: stage.cmd,
    wdir: stage.wdir,
    env: { ...stage.env, CAIRN_RUN_ID: steps.runId, CAIRN_STAGE: stage.name },
    inputs,
    executable,
    outs: stageOutputs(stage),
    ...(work.key ? { key: work.key } : {}),
    useRunCache: work.useRunCache,
    remote: options.remote,
  };
}

/** Brings the log and the outputs of a stage that ended on a worker from the remote into the workspace. */
export async function bringHome(
  steps: StageSteps,
  work: StageWork,
  result: Exclude<StageResult, { status: 'killed' }>,
  remote: OpenedRemote,
): Promise<StageExecution> {
  if (result.log)
    await fetchLog(remote, result.log, work.logFile).catch((err: unknown) =>
      steps.warn(`${work.stage.name}: its log could not be fetched (${(err as Error).message})`),
    );
  if (result.status === 'failed')
    return {
      status: 'failed',
      error: result.worker ? `${result.error} (on worker ${result.worker})` : result.error,
      ...(result.tail ? { tail: result.tail } : {}),
    };
  const problem = await fetchOutputObjects(steps.ctx, remote, result.outs);
  if (problem)
    return { status: 'failed', error: `the outputs of ${work.stage.name} cannot be fetched: ${problem}` };
  await placeOutputs(steps.ctx, result.outs);
  return { status: 'done', outs: new Map(result.outs.map((o) => [o.path, o])) };
}

async function fetchLog(remote: OpenedRemote, log: `sha256:${string}`, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await pipe(await remote.store.get(objectKey(log)), createWriteStream(file));
}
