import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { LifecycleStage, Tag } from '../tracking-types.ts';
import { activeExperimentRow, experimentNotFound, experimentRow } from './experiment-records.ts';

/** Changes to experiments, each for use inside one transaction (and touching only `tx`). */

const UPSERT_EXPERIMENT_TAG = `INSERT INTO tracking_experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)
  ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value`;

function nameTaken(name: string) {
  return errors.exists(`Experiment(name=${name}) already exists.`, {
    details: { name },
    hint: 'choose another name (the names of deleted experiments stay taken)',
  });
}

/**
 * Inserts an experiment and returns its id. Without an artifact location it gets
 * `defaultLocation(id)`, which needs the id the database assigns.
 */
export async function insertExperiment(
  tx: SqlExecutor,
  experiment: { name: string; artifactLocation: string | undefined; tags: readonly Tag[] },
  defaultLocation: (id: number) => string,
): Promise<string> {
  const now = Date.now();
  const row = await tx.get<{ experiment_id: number }>(
    `INSERT INTO tracking_experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
     VALUES (?, ?, 'active', ?, ?) ON CONFLICT DO NOTHING RETURNING experiment_id`,
    [experiment.name, experiment.artifactLocation ?? '', now, now],
  );
  if (!row) throw nameTaken(experiment.name);
  const id = row.experiment_id;
  if (!experiment.artifactLocation)
    await tx.run('UPDATE tracking_experiments SET artifact_location = ? WHERE experiment_id = ?', [
      defaultLocation(id),
      id,
    ]);
  await tx.runMany(
    UPSERT_EXPERIMENT_TAG,
    experiment.tags.map((t) => [id, t.key, t.value]),
  );
  return String(id);
}

export async function renameExperimentIn(
  tx: SqlExecutor,
  experimentId: string,
  newName: string,
): Promise<void> {
  const row = await experimentRow(tx, experimentId);
  if (row.lifecycle_stage !== 'active')
    throw errors.precondition('Cannot rename a non-active experiment.', {
      details: { experiment_id: experimentId },
      hint: 'restore the experiment first',
    });
  const clash = await tx.get(
    'SELECT experiment_id FROM tracking_experiments WHERE name = ? AND experiment_id <> ?',
    [newName, row.experiment_id],
  );
  if (clash) throw nameTaken(newName);
  await tx.run('UPDATE tracking_experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [
    newName,
    Date.now(),
    row.experiment_id,
  ]);
}

/**
 * Moves an experiment from one lifecycle stage to the other, with its runs in `from` (MLflow:
 * deleting deletes the active runs, restoring restores every deleted run). An experiment not in
 * `from` is NOT_FOUND, as in MLflow.
 */
export async function setExperimentStage(
  tx: SqlExecutor,
  experimentId: string,
  from: LifecycleStage,
  to: LifecycleStage,
): Promise<void> {
  const row = await experimentRow(tx, experimentId);
  if (row.lifecycle_stage !== from) throw experimentNotFound(experimentId);
  const now = Date.now();
  await tx.run(
    'UPDATE tracking_experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?',
    [to, now, row.experiment_id],
  );
  await tx.run(
    'UPDATE tracking_runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = ?',
    [to, to === 'deleted' ? now : null, row.experiment_id, from],
  );
}

export async function setExperimentTagIn(tx: SqlExecutor, experimentId: string, tag: Tag): Promise<void> {
  const row = await activeExperimentRow(tx, experimentId);
  await tx.run(UPSERT_EXPERIMENT_TAG, [row.experiment_id, tag.key, tag.value]);
}

export async function deleteExperimentTagIn(
  tx: SqlExecutor,
  experimentId: string,
  key: string,
): Promise<void> {
  const row = await activeExperimentRow(tx, experimentId);
  const { changes } = await tx.run(
    'DELETE FROM tracking_experiment_tags WHERE experiment_id = ? AND key = ?',
    [row.experiment_id, key],
  );
  if (changes === 0)
    throw errors.notFound(`No tag with name: ${key} in experiment with id ${experimentId}`, {
      details: { experiment_id: experimentId, key },
    });
}
