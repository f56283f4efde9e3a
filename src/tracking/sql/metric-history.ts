import type { SqlExecutor, SqlValue } from '../../store/metadata-store.ts';
import type { MetricWithRunId } from '../tracking-types.ts';
import { type MetricRow, toMetric } from './run-data.ts';

/**
 * Metric histories of several runs at once, read from tracking_metrics (SqlTrackingStore's table)
 * with MLflow's orders: the SQL of `metrics/get-history-bulk` and of the sampled
 * `metrics/get-history-bulk-interval` that charts draw.
 */

interface RunMetricRow extends MetricRow {
  run_uuid: string;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

function withRunId(row: RunMetricRow): MetricWithRunId {
  return { ...toMetric(row), timestamp: Number(row.timestamp), step: Number(row.step), run_id: row.run_uuid };
}

/** Every value of `key` for the runs, by run id, then timestamp, step and value; `limit` in all. */
export async function selectMetricHistories(
  db: SqlExecutor,
  runIds: readonly string[],
  key: string,
  limit: number,
): Promise<MetricWithRunId[]> {
  if (runIds.length === 0 || limit < 1) return [];
  const rows = await db.all<RunMetricRow>(
    `SELECT run_uuid, key, value, timestamp, step, is_nan FROM tracking_metrics
     WHERE key = ? AND run_uuid IN (${marks(runIds.length)})
     ORDER BY run_uuid, timestamp, step, value, is_nan LIMIT ?`,
    [key, ...runIds, limit],
  );
  return rows.map(withRunId);
}

interface SampledRow extends RunMetricRow {
  /** 1 for the first value of an NTILE bucket. */
  first_in_bucket: number | bigint;
  /** 1 for the run's last value. */
  from_end: number | bigint;
}

const ORDER = 'step, timestamp, value, is_nan';

/**
 * Up to `perRun` values of `key` for each run, as MLflow's SQL store samples them: the run's
 * values (within [startStep, endStep] when given) ordered by step, timestamp and value are cut
 * into `perRun` buckets of equal size (NTILE; one value per bucket when there are fewer), the
 * first value of each bucket is kept, and the run's last value is appended, or replaces the last
 * sample when there are already `perRun` (so `perRun` = 1 gives only the last value). Runs come
 * in the order given; a run without values (or unknown) gives none.
 */
export async function sampleMetricHistories(
  db: SqlExecutor,
  runIds: readonly string[],
  key: string,
  perRun: number,
  steps?: { start: number; end: number },
): Promise<MetricWithRunId[]> {
  if (runIds.length === 0) return [];
  const distinct = [...new Set(runIds)];
  const params: SqlValue[] = [Math.max(1, perRun), key, ...distinct];
  const range = steps ? 'AND step >= ? AND step <= ?' : '';
  if (steps) params.push(steps.start, steps.end);
  const rows = await db.all<SampledRow>(
    `WITH bucketed AS (
       SELECT run_uuid, key, value, timestamp, step, is_nan,
              NTILE(?) OVER (PARTITION BY run_uuid ORDER BY ${ORDER}) AS bucket,
              ROW_NUMBER() OVER (PARTITION BY run_uuid
                ORDER BY step DESC, timestamp DESC, value DESC, is_nan DESC) AS from_end
       FROM tracking_metrics
       WHERE key = ? AND run_uuid IN (${marks(distinct.length)}) ${range}
     ), ranked AS (
       SELECT run_uuid, key, value, timestamp, step, is_nan, from_end,
              ROW_NUMBER() OVER (PARTITION BY run_uuid, bucket ORDER BY ${ORDER}) AS in_bucket
       FROM bucketed
     )
     SELECT run_uuid, key, value, timestamp, step, is_nan,
            CASE WHEN in_bucket = 1 THEN 1 ELSE 0 END AS first_in_bucket,
            CASE WHEN from_end = 1 THEN 1 ELSE 0 END AS from_end
     FROM ranked WHERE in_bucket = 1 OR from_end = 1
     ORDER BY run_uuid, ${ORDER}`,
    params,
  );
  const byRun = new Map<string, { samples: SampledRow[]; last?: SampledRow }>();
  for (const row of rows) {
    const entry = byRun.get(row.run_uuid) ?? { samples: [] };
    if (Number(row.first_in_bucket) === 1) entry.samples.push(row);
    if (Number(row.from_end) === 1) entry.last = row;
    byRun.set(row.run_uuid, entry);
  }
  const out: MetricWithRunId[] = [];
  for (const runId of runIds) {
    const entry = byRun.get(runId);
    if (!entry) continue;
    const { samples, last } = entry;
    if (last && samples.at(-1) !== last) {
      if (samples.length >= perRun) samples[samples.length - 1] = last;
      else samples.push(last);
    }
    out.push(...samples.map(withRunId));
  }
  return out;
}
