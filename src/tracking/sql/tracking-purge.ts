import type { MetadataStore, Migration, SqlExecutor } from '../../store/metadata-store.ts';

/**
 * Permanently removing deleted runs and experiments from the tracking tables (MLflow's
 * `_hard_delete_run` / `_hard_delete_experiment`), for `cairn server gc`.
 *
 * The artifacts of what is removed are deleted after the rows, and the rows' transaction first
 * records their locations in `tracking_purged_artifacts`: a gc that dies between the two leaves
 * the list, and the next gc deletes those artifacts before anything else. Nothing is ever left
 * without a row that names it.
 */
export const TRACKING_PURGE_MIGRATIONS: Migration[] = [
  {
    id: 'tracking-004-purged-artifacts',
    sql: 'CREATE TABLE tracking_purged_artifacts (location TEXT PRIMARY KEY, purged_time BIGINT NOT NULL)',
  },
];

export interface DeletedRun {
  run_id: string;
  experiment_id: string;
  /** When it was deleted (ms since the epoch). */
  deleted_time: number;
  artifact_uri: string;
}

export interface DeletedExperiment {
  experiment_id: string;
  name: string;
  /** When it was deleted: its last update, which a deleted experiment cannot have after. */
  deleted_time: number;
  artifact_location: string;
  /** Every run of the experiment, whatever its state: they go with it. */
  runs: { run_id: string; artifact_uri: string }[];
  /** Its logged models, which go with it too. */
  logged_models: { model_id: string; artifact_location: string }[];
}

/** The experiment every store has; MLflow never removes it. */
const DEFAULT_EXPERIMENT_ID = 0;

/**
 * Runs deleted at or before `cutoff` in experiments that are not deleted, and experiments deleted
 * at or before `cutoff` (not the default one), oldest first.
 */
export async function deletedBefore(
  db: SqlExecutor,
  cutoff: number,
): Promise<{ runs: DeletedRun[]; experiments: DeletedExperiment[] }> {
  const runs = await db.all<{
    run_uuid: string;
    experiment_id: number | string;
    deleted_time: number | string;
    artifact_uri: string;
  }>(
    `SELECT r.run_uuid, r.experiment_id, r.deleted_time, r.artifact_uri
     FROM tracking_runs r JOIN tracking_experiments e ON e.experiment_id = r.experiment_id
     WHERE r.lifecycle_stage = 'deleted' AND r.deleted_time IS NOT NULL AND r.deleted_time <= ?
       AND e.lifecycle_stage = 'active'
     ORDER BY r.deleted_time, r.run_uuid`,
    [cutoff],
  );
  const experiments = await db.all<{
    experiment_id: number | string;
    name: string;
    last_update_time: number | string;
    artifact_location: string;
  }>(
    `SELECT experiment_id, name, last_update_time, artifact_location FROM tracking_experiments
     WHERE lifecycle_stage = 'deleted' AND last_update_time <= ? AND experiment_id <> ?
     ORDER BY last_update_time, experiment_id`,
    [cutoff, DEFAULT_EXPERIMENT_ID],
  );
  const out: DeletedExperiment[] = [];
  for (const e of experiments) {
    const id = String(e.experiment_id);
    out.push({
      experiment_id: id,
      name: e.name,
      deleted_time: Number(e.last_update_time),
      artifact_location: e.artifact_location,
      runs: (
        await db.all<{ run_uuid: string; artifact_uri: string }>(
          'SELECT run_uuid, artifact_uri FROM tracking_runs WHERE experiment_id = ? ORDER BY run_uuid',
          [Number(id)],
        )
      ).map((r) => ({ run_id: r.run_uuid, artifact_uri: r.artifact_uri })),
      logged_models: await db.all<{ model_id: string; artifact_location: string }>(
        'SELECT model_id, artifact_location FROM tracking_logged_models WHERE experiment_id = ? ORDER BY model_id',
        [id],
      ),
    });
  }
  return {
    runs: runs.map((r) => ({
      run_id: r.run_uuid,
      experiment_id: String(r.experiment_id),
      deleted_time: Number(r.deleted_time),
      artifact_uri: r.artifact_uri,
    })),
    experiments: out,
  };
}

/**
 * The artifact locations of everything that stays: every run, experiment and logged model but
 * those given. Each is a place gc must not delete, nor delete anything that contains it.
 */
export async function keptArtifactLocations(
  db: SqlExecutor,
  leaving: { runIds: ReadonlySet<string>; experimentIds: ReadonlySet<string> },
): Promise<string[]> {
  const out: string[] = [];
  for (const r of await db.all<{ run_uuid: string; experiment_id: number | string; artifact_uri: string }>(
    'SELECT run_uuid, experiment_id, artifact_uri FROM tracking_runs',
  ))
    if (!leaving.runIds.has(r.run_uuid) && !leaving.experimentIds.has(String(r.experiment_id)))
      out.push(r.artifact_uri);
  for (const e of await db.all<{ experiment_id: number | string; artifact_location: string }>(
    'SELECT experiment_id, artifact_location FROM tracking_experiments',
  ))
    if (!leaving.experimentIds.has(String(e.experiment_id))) out.push(e.artifact_location);
  for (const m of await db.all<{ experiment_id: string; artifact_location: string }>(
    'SELECT experiment_id, artifact_location FROM tracking_logged_models',
  ))
    if (!leaving.experimentIds.has(String(m.experiment_id))) out.push(m.artifact_location);
  return out;
}

/** Deletes a run's own rows (not its experiment's). */
async function deleteRunRows(tx: SqlExecutor, where: string, params: (string | number)[]): Promise<void> {
  const runs = `run_uuid IN (SELECT run_uuid FROM tracking_runs WHERE ${where})`;
  await tx.run(
    `DELETE FROM tracking_input_tags WHERE input_uuid IN (SELECT input_uuid FROM tracking_inputs WHERE ${runs})`,
    params,
  );
  for (const table of [
    'tracking_inputs',
    'tracking_metrics',
    'tracking_latest_metrics',
    'tracking_params',
    'tracking_tags',
    'tracking_run_outputs',
    'tracking_run_model_inputs',
  ])
    await tx.run(`DELETE FROM ${table} WHERE ${runs}`, params);
  await tx.run(`DELETE FROM tracking_runs WHERE ${where}`, params);
}

/**
 * Removes a run that is still deleted since `cutoff` or earlier (it may have been restored
 * meanwhile), recording `artifactLocations` as to be deleted. False when it no longer qualifies.
 */
export function purgeRun(
  db: MetadataStore,
  runId: string,
  cutoff: number,
  artifactLocations: readonly string[],
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const row = await tx.get(
      `SELECT r.run_uuid FROM tracking_runs r JOIN tracking_experiments e ON e.experiment_id = r.experiment_id
       WHERE r.run_uuid = ? AND r.lifecycle_stage = 'deleted' AND r.deleted_time <= ? AND e.lifecycle_stage = 'active'`,
      [runId, cutoff],
    );
    if (!row) return false;
    await record(tx, artifactLocations);
    await deleteRunRows(tx, 'run_uuid = ?', [runId]);
    return true;
  });
}

/** Removes an experiment still deleted since `cutoff` or earlier, with its runs and logged models. */
export function purgeExperiment(
  db: MetadataStore,
  experimentId: string,
  cutoff: number,
  artifactLocations: readonly string[],
): Promise<boolean> {
  const id = Number(experimentId);
  return db.transaction(async (tx) => {
    const row = await tx.get(
      `SELECT experiment_id FROM tracking_experiments
       WHERE experiment_id = ? AND lifecycle_stage = 'deleted' AND last_update_time <= ? AND experiment_id <> ?`,
      [id, cutoff, DEFAULT_EXPERIMENT_ID],
    );
    if (!row) return false;
    await record(tx, artifactLocations);
    await deleteRunRows(tx, 'experiment_id = ?', [id]);
    const models = 'model_id IN (SELECT model_id FROM tracking_logged_models WHERE experiment_id = ?)';
    for (const table of [
      'tracking_logged_model_tags',
      'tracking_logged_model_params',
      'tracking_logged_model_metrics',
      'tracking_run_outputs',
    ])
      await tx.run(`DELETE FROM ${table} WHERE ${models}`, [experimentId]);
    await tx.run(
      'DELETE FROM tracking_run_model_inputs WHERE model_id IN (SELECT model_id FROM tracking_logged_models WHERE experiment_id = ?)',
      [experimentId],
    );
    await tx.run('DELETE FROM tracking_logged_models WHERE experiment_id = ?', [experimentId]);
    await tx.run(
      'DELETE FROM tracking_input_tags WHERE input_uuid IN (SELECT i.input_uuid FROM tracking_inputs i JOIN tracking_datasets d ON d.dataset_uuid = i.dataset_uuid WHERE d.experiment_id = ?)',
      [id],
    );
    await tx.run(
      'DELETE FROM tracking_inputs WHERE dataset_uuid IN (SELECT dataset_uuid FROM tracking_datasets WHERE experiment_id = ?)',
      [id],
    );
    await tx.run('DELETE FROM tracking_datasets WHERE experiment_id = ?', [id]);
    await tx.run('DELETE FROM tracking_experiment_tags WHERE experiment_id = ?', [id]);
    await tx.run('DELETE FROM tracking_experiments WHERE experiment_id = ?', [id]);
    return true;
  });
}

async function record(tx: SqlExecutor, locations: readonly string[]): Promise<void> {
  await tx.runMany(
    `INSERT INTO tracking_purged_artifacts (location, purged_time) VALUES (?, ?)
     ON CONFLICT (location) DO NOTHING`,
    locations.map((l) => [l, Date.now()]),
  );
}

/** Artifact locations whose rows are gone and whose files may not be yet. */
export async function purgedArtifactLocations(db: SqlExecutor): Promise<string[]> {
  const rows = await db.all<{ location: string }>(
    'SELECT location FROM tracking_purged_artifacts ORDER BY purged_time, location',
  );
  return rows.map((r) => r.location);
}

/** The files of `location` are deleted: forget it. */
export async function artifactsDeleted(db: SqlExecutor, location: string): Promise<void> {
  await db.run('DELETE FROM tracking_purged_artifacts WHERE location = ?', [location]);
}
