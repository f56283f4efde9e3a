import type { SqlExecutor } from '../../store/metadata-store.ts';
import type {
  DatasetInput,
  LifecycleStage,
  Metric,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from '../tracking-types.ts';

export const RUN_COLUMNS =
  'r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage';

/** A row of tracking_runs as RUN_COLUMNS selects it. */
export interface RunRow {
  [column: string]: unknown;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface MetricRow {
  [column: string]: unknown;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    run_id: row.run_uuid,
    run_uuid: row.run_uuid,
    run_name: row.name,
    experiment_id: String(row.experiment_id),
    user_id: row.user_id,
    status: row.status as RunStatus,
    start_time: row.start_time,
    ...(row.end_time === null ? {} : { end_time: row.end_time }),
    artifact_uri: row.artifact_uri,
    lifecycle_stage: row.lifecycle_stage as LifecycleStage,
  };
}

export function toMetric(row: MetricRow): Metric {
  return {
    key: row.key,
    value: Number(row.is_nan) === 1 ? Number.NaN : row.value,
    timestamp: row.timestamp,
    step: row.step,
  };
}

/** Most ids per IN list: far below SQLite's and PostgreSQL's parameter limits. */
export const CHUNK = 512;

/**
 * `IN (?, …)` for `ids`, padded (by repeating the last id) to a power of two so that only ten
 * distinct statement texts exist for the prepared-statement caches.
 */
export function inList<T extends string | number>(ids: readonly T[]): { sql: string; params: T[] } {
  let size = 1;
  while (size < ids.length) size *= 2;
  const params = [...ids];
  while (params.length < size) params.push(ids[ids.length - 1] as T);
  return { sql: `IN (${params.map(() => '?').join(', ')})`, params };
}

/** Appends `value` to the list under `key`. */
export function append<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const list = groups.get(key);
  if (list) list.push(value);
  else groups.set(key, [value]);
}

function groupBy<T extends { run_uuid: string }, V>(rows: T[], map: (row: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const row of rows) append(groups, row.run_uuid, map(row));
  return groups;
}

interface KeyValueRow {
  [column: string]: unknown;
  run_uuid: string;
  key: string;
  value: string;
}

interface InputRow {
  [column: string]: unknown;
  run_uuid: string;
  input_uuid: string;
  name: string;
  digest: string;
  dataset_source_type: string;
  dataset_source: string;
  dataset_schema: string | null;
  dataset_profile: string | null;
}

/**
 * Whole runs, in the order of `runIds` (ids of no run are left out): six queries per 512 runs
 * (the runs, params, tags, latest metrics, inputs and input tags), not queries per run.
 */
export async function loadRuns(db: SqlExecutor, runIds: readonly string[]): Promise<Run[]> {
  const runs: Run[] = [];
  for (let from = 0; from < runIds.length; from += CHUNK) {
    const chunk = runIds.slice(from, from + CHUNK);
    const { sql: list, params: ids } = inList(chunk);
    const [rows, params, tags, metrics, inputs, inputTags] = await Promise.all([
      db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM tracking_runs r WHERE r.run_uuid ${list}`, ids),
      db.all<KeyValueRow>(
        `SELECT run_uuid, key, value FROM tracking_params WHERE run_uuid ${list} ORDER BY run_uuid, key`,
        ids,
      ),
      db.all<KeyValueRow>(
        `SELECT run_uuid, key, value FROM tracking_tags WHERE run_uuid ${list} ORDER BY run_uuid, key`,
        ids,
      ),
      db.all<MetricRow & { run_uuid: string }>(
        `SELECT run_uuid, key, value, timestamp, step, is_nan FROM tracking_latest_metrics
         WHERE run_uuid ${list} ORDER BY run_uuid, key`,
        ids,
      ),
      db.all<InputRow>(
        `SELECT i.run_uuid, i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source,
                d.dataset_schema, d.dataset_profile
         FROM tracking_inputs i JOIN tracking_datasets d ON d.dataset_uuid = i.dataset_uuid
         WHERE i.run_uuid ${list} ORDER BY i.run_uuid, i.position`,
        ids,
      ),
      db.all<{ input_uuid: string; key: string; value: string }>(
        `SELECT t.input_uuid, t.key, t.value FROM tracking_input_tags t
         JOIN tracking_inputs i ON i.input_uuid = t.input_uuid
         WHERE i.run_uuid ${list} ORDER BY t.input_uuid, t.key`,
        ids,
      ),
    ]);
    const rowOf = new Map(rows.map((r) => [r.run_uuid, r]));
    const toPair = (r: KeyValueRow): Param & Tag => ({ key: r.key, value: r.value });
    const paramsBy = groupBy(params, toPair);
    const tagsBy = groupBy(tags, toPair);
    const metricsBy = groupBy(metrics, toMetric);
    const tagsByInput = new Map<string, Tag[]>();
    for (const t of inputTags) append(tagsByInput, t.input_uuid, { key: t.key, value: t.value });
    const inputsBy = groupBy(
      inputs,
      (r): DatasetInput => ({
        tags: tagsByInput.get(r.input_uuid) ?? [],
        dataset: {
          name: r.name,
          digest: r.digest,
          source_type: r.dataset_source_type,
          source: r.dataset_source,
          ...(r.dataset_schema === null ? {} : { schema: r.dataset_schema }),
          ...(r.dataset_profile === null ? {} : { profile: r.dataset_profile }),
        },
      }),
    );
    for (const id of chunk) {
      const row = rowOf.get(id);
      if (!row) continue;
      runs.push({
        info: toRunInfo(row),
        data: {
          metrics: metricsBy.get(id) ?? [],
          params: paramsBy.get(id) ?? [],
          tags: tagsBy.get(id) ?? [],
        },
        inputs: { dataset_inputs: inputsBy.get(id) ?? [] },
      });
    }
  }
  return runs;
}
