import { randomUUID } from 'node:crypto';
import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import { generateRunName } from '../run-names.ts';
import type { CreateRunOptions, Run, RunInfo } from '../tracking-types.ts';
import { validateTag } from '../tracking-validation.ts';
import { activeExperimentRow } from './experiment-records.ts';
import { RUN_NAME_TAG } from './run-writes.ts';

const USER_TAG = 'mlflow.user';

/** A run about to be created: checked, named, with its id and tags, before any transaction. */
export interface NewRun {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  startTime: number;
  tags: Map<string, string>;
}

/**
 * MLflow's create_run rules: the name comes from run_name or the mlflow.runName tag (both given
 * must agree) or is generated, and is also the mlflow.runName tag; a user id is also mlflow.user.
 */
export function newRun(options: CreateRunOptions): NewRun {
  const given = options.tags ?? [];
  given.forEach((t, i) => {
    validateTag(t, `tags[${i}]`);
  });
  const tags = new Map(given.map((t) => [t.key, t.value]));
  const nameTag = tags.get(RUN_NAME_TAG);
  if (options.run_name && nameTag && options.run_name !== nameTag)
    throw errors.invalid(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${options.run_name}', mlflow.runName='${nameTag}').`,
    );
  const runName = options.run_name || nameTag || generateRunName();
  tags.set(RUN_NAME_TAG, runName);
  const userId = options.user_id ?? '';
  if (userId !== '' && !tags.has(USER_TAG)) tags.set(USER_TAG, userId);
  const start = options.start_time;
  if (start !== undefined && (!Number.isSafeInteger(start) || start < 0))
    throw errors.invalid(
      `Invalid value ${start} for parameter 'start_time': expected milliseconds since the epoch`,
    );
  return {
    runId: randomUUID().replaceAll('-', ''),
    experimentId: options.experiment_id,
    runName,
    userId,
    startTime: start ?? Date.now(),
    tags,
  };
}

/** Inserts the run into its experiment, which must be active, and returns it as getRun would. */
export async function insertRun(tx: SqlExecutor, run: NewRun): Promise<Run> {
  const experiment = await activeExperimentRow(tx, run.experimentId);
  const info: RunInfo = {
    run_id: run.runId,
    run_uuid: run.runId,
    run_name: run.runName,
    experiment_id: String(experiment.experiment_id),
    user_id: run.userId,
    status: 'RUNNING',
    start_time: run.startTime,
    artifact_uri: `${experiment.artifact_location.replace(/\/+$/, '')}/${run.runId}/artifacts`,
    lifecycle_stage: 'active',
  };
  await tx.run(
    `INSERT INTO tracking_runs
       (run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      run.runId,
      experiment.experiment_id,
      run.runName,
      run.userId,
      info.status,
      run.startTime,
      info.artifact_uri,
      'active',
    ],
  );
  await tx.runMany(
    'INSERT INTO tracking_tags (run_uuid, experiment_id, key, value) VALUES (?, ?, ?, ?)',
    [...run.tags].map(([key, value]) => [run.runId, experiment.experiment_id, key, value]),
  );
  const tags = [...run.tags].map(([key, value]) => ({ key, value })).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { info, data: { metrics: [], params: [], tags }, inputs: { dataset_inputs: [] } };
}
