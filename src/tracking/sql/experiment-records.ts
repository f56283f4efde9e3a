import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { Experiment, LifecycleStage, Tag } from '../tracking-types.ts';
import { EXPERIMENT_COLUMNS } from './experiment-search.ts';
import { append, CHUNK, inList } from './run-data.ts';

/** Reading experiments, and the checks writes to them share. */

export interface ExperimentRow {
  [column: string]: unknown;
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Experiment ids are decimal integers; anything else names no experiment. */
export function parseExperimentId(id: string): number | undefined {
  if (typeof id !== 'string' || !/^\d{1,15}$/.test(id)) return undefined;
  return Number(id);
}

export function experimentNotFound(id: string) {
  return errors.notFound(`No Experiment with id=${id} exists`, { details: { experiment_id: id } });
}

/** The experiment row, or NOT_FOUND. */
export async function experimentRow(db: SqlExecutor, id: string): Promise<ExperimentRow> {
  const numeric = parseExperimentId(id);
  const row =
    numeric === undefined
      ? undefined
      : await db.get<ExperimentRow>(
          `SELECT ${EXPERIMENT_COLUMNS} FROM tracking_experiments e WHERE e.experiment_id = ?`,
          [numeric],
        );
  if (!row) throw experimentNotFound(id);
  return row;
}

/** The experiment row, which must be active (MLflow refuses to change a deleted experiment). */
export async function activeExperimentRow(db: SqlExecutor, id: string): Promise<ExperimentRow> {
  const row = await experimentRow(db, id);
  if (row.lifecycle_stage !== 'active')
    throw errors.precondition(
      `The experiment ${id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
      { details: { experiment_id: id }, hint: 'restore the experiment first' },
    );
  return row;
}

/** Experiments with their tags: one query for the tags of all of them. */
export async function withTags(db: SqlExecutor, rows: readonly ExperimentRow[]): Promise<Experiment[]> {
  const tagsOf = new Map<number, Tag[]>();
  for (let from = 0; from < rows.length; from += CHUNK) {
    const ids = inList(rows.slice(from, from + CHUNK).map((r) => r.experiment_id));
    const tags = await db.all<{ experiment_id: number; key: string; value: string }>(
      `SELECT experiment_id, key, value FROM tracking_experiment_tags
       WHERE experiment_id ${ids.sql} ORDER BY experiment_id, key`,
      ids.params,
    );
    for (const t of tags) append(tagsOf, t.experiment_id, { key: t.key, value: t.value });
  }
  return rows.map((r) => ({
    experiment_id: String(r.experiment_id),
    name: r.name,
    artifact_location: r.artifact_location,
    lifecycle_stage: r.lifecycle_stage as LifecycleStage,
    creation_time: r.creation_time,
    last_update_time: r.last_update_time,
    tags: tagsOf.get(r.experiment_id) ?? [],
  }));
}
