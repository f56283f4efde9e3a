import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { LogBatch, Metric, Tag } from '../tracking-types.ts';

/**
 * The writes of log_batch, log_metric, log_param and set_tag, for use inside one transaction:
 * a handful of statements whatever the batch size (each runMany is one multi-row statement on
 * PostgreSQL and one prepared statement on SQLite). Every function touches only `tx`, so the
 * transaction may be run again after a serialization conflict.
 */

export const RUN_NAME_TAG = 'mlflow.runName';

export interface RunState {
  [column: string]: unknown;
  run_uuid: string;
  experiment_id: number;
  lifecycle_stage: string;
}

export function runNotFound(runId: string) {
  return errors.notFound(`Run with id=${runId} not found`, { details: { run_id: runId } });
}

/** The run, which must exist and be active (MLflow refuses writes to a deleted run). */
export async function activeRun(tx: SqlExecutor, runId: string): Promise<RunState> {
  const run = await tx.get<RunState>(
    'SELECT run_uuid, experiment_id, lifecycle_stage FROM tracking_runs WHERE run_uuid = ?',
    [runId],
  );
  if (!run) throw runNotFound(runId);
  if (run.lifecycle_stage !== 'active')
    throw errors.precondition(
      `The run ${runId} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`,
      { details: { run_id: runId }, hint: 'restore the run first, or log to another run' },
    );
  return run;
}

/** NaN is stored as 0 with is_nan = 1 (SQLite cannot store NaN); MLflow's latest-metric rule sees 0. */
function stored(metric: Metric): [value: number, isNan: number] {
  return Number.isNaN(metric.value) ? [0, 1] : [metric.value, 0];
}

/** MLflow's rule: the latest value has the highest step, then timestamp, then (stored) value. */
function newer(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return stored(a)[0] > stored(b)[0];
}

const INSERT_METRIC = `INSERT INTO tracking_metrics (run_uuid, key, step, timestamp, value, is_nan)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

const UPSERT_LATEST = `INSERT INTO tracking_latest_metrics (run_uuid, experiment_id, key, step, timestamp, value, is_nan)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (run_uuid, key) DO UPDATE SET
    step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
  WHERE excluded.step > tracking_latest_metrics.step
    OR (excluded.step = tracking_latest_metrics.step
      AND (excluded.timestamp > tracking_latest_metrics.timestamp
        OR (excluded.timestamp = tracking_latest_metrics.timestamp
          AND excluded.value > tracking_latest_metrics.value)))`;

const UPSERT_TAG = `INSERT INTO tracking_tags (run_uuid, experiment_id, key, value) VALUES (?, ?, ?, ?)
  ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value`;

export async function writeMetrics(
  tx: SqlExecutor,
  run: RunState,
  metrics: readonly Metric[],
): Promise<void> {
  if (metrics.length === 0) return;
  const latest = new Map<string, Metric>();
  for (const m of metrics) {
    const best = latest.get(m.key);
    if (!best || newer(m, best)) latest.set(m.key, m);
  }
  const id = run.run_uuid;
  await tx.runMany(
    INSERT_METRIC,
    metrics.map((m) => [id, m.key, m.step, m.timestamp, ...stored(m)]),
  );
  await tx.runMany(
    UPSERT_LATEST,
    [...latest.values()].map((m) => [id, run.experiment_id, m.key, m.step, m.timestamp, ...stored(m)]),
  );
}

/**
 * Params are write-once: the same value again is accepted, another value is refused. New keys
 * are inserted first and existing ones read afterwards (only when there are any), so concurrent
 * batches of distinct keys do not read ranges the others write.
 */
export async function writeParams(
  tx: SqlExecutor,
  run: RunState,
  params: readonly { key: string; value: string }[],
): Promise<void> {
  if (params.length === 0) return;
  const id = run.run_uuid;
  const inserted = await tx.all<{ key: string }>(
    `INSERT INTO tracking_params (run_uuid, experiment_id, key, value)
     VALUES ${params.map(() => '(?, ?, ?, ?)').join(', ')}
     ON CONFLICT (run_uuid, key) DO NOTHING RETURNING key`,
    params.flatMap((p) => [id, run.experiment_id, p.key, p.value]),
  );
  if (inserted.length === params.length) return;
  const fresh = new Set(inserted.map((r) => r.key));
  const others = params.filter((p) => !fresh.has(p.key));
  const existing = await tx.all<{ key: string; value: string }>(
    `SELECT key, value FROM tracking_params WHERE run_uuid = ? AND key IN (${others.map(() => '?').join(', ')})`,
    [id, ...others.map((p) => p.key)],
  );
  const old = new Map(existing.map((r) => [r.key, r.value]));
  const changed = others.filter((p) => old.get(p.key) !== p.value);
  const [first] = changed;
  if (first && changed.length === 1)
    throw errors.invalid(
      `Changing param values is not allowed. Param with key='${first.key}' was already logged with value='${old.get(first.key)}' for run ID='${id}'. Attempted logging new value '${first.value}'.`,
      { details: { run_id: id, key: first.key }, hint: 'log the new value in a new (nested) run' },
    );
  if (changed.length > 1)
    throw errors.invalid(
      `Changing param values is not allowed. Params were already logged='${JSON.stringify(
        changed.map((p) => ({ key: p.key, old_value: old.get(p.key), new_value: p.value })),
      )}' for run ID='${id}'.`,
      { details: { run_id: id }, hint: 'log the new values in a new (nested) run' },
    );
}

/** Tags overwrite; setting mlflow.runName renames the run. Keys must be unique in `tags`. */
export async function writeTags(tx: SqlExecutor, run: RunState, tags: readonly Tag[]): Promise<void> {
  if (tags.length === 0) return;
  const runName = tags.find((t) => t.key === RUN_NAME_TAG);
  if (runName)
    await tx.run('UPDATE tracking_runs SET name = ? WHERE run_uuid = ?', [runName.value, run.run_uuid]);
  await tx.runMany(
    UPSERT_TAG,
    tags.map((t) => [run.run_uuid, run.experiment_id, t.key, t.value]),
  );
}

/** A validated batch (params and tags folded to unique keys), written in the caller's transaction. */
export async function writeBatch(tx: SqlExecutor, runId: string, batch: Required<LogBatch>): Promise<void> {
  const run = await activeRun(tx, runId);
  await writeParams(tx, run, batch.params);
  await writeMetrics(tx, run, batch.metrics);
  await writeTags(tx, run, batch.tags);
}
