import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { LoggedModelMetric } from '../logged-model-types.ts';

/**
 * The rows of tracking_logged_model_metrics and tracking_run_model_inputs (SqlLoggedModelStore's
 * tables): metric values attached to logged models and the models runs used as inputs.
 */

interface ModelMetricRow extends Record<string, unknown> {
  model_id: string;
  key: string;
  value: number;
  is_nan: number | bigint;
  timestamp: number | bigint;
  step: number | bigint;
  run_uuid: string;
  dataset_name: string | null;
  dataset_digest: string | null;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Stores metric values of logged models (whose experiments `experimentOf` gives), logged from
 * `runId`. A value already there (same model, key, timestamp, step and run) is kept once.
 */
export async function insertModelMetrics(
  tx: SqlExecutor,
  runId: string,
  metrics: readonly Omit<LoggedModelMetric, 'run_id'>[],
  experimentOf: ReadonlyMap<string, string>,
): Promise<void> {
  await tx.runMany(
    `INSERT INTO tracking_logged_model_metrics
       (model_id, key, timestamp, step, value, is_nan, experiment_id, run_uuid, dataset_name, dataset_digest)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (model_id, key, timestamp, step, run_uuid) DO NOTHING`,
    metrics.map((m) => {
      const nan = Number.isNaN(m.value);
      return [
        m.model_id,
        m.key,
        m.timestamp,
        m.step,
        nan ? 0 : m.value,
        nan ? 1 : 0,
        experimentOf.get(m.model_id) ?? '',
        runId,
        m.dataset_name || null,
        m.dataset_digest || null,
      ];
    }),
  );
}

/** The metric values of each model, in the order they were logged. */
export async function selectModelMetrics(
  tx: SqlExecutor,
  modelIds: readonly string[],
): Promise<Map<string, LoggedModelMetric[]>> {
  const out = new Map<string, LoggedModelMetric[]>();
  if (modelIds.length === 0) return out;
  const rows = await tx.all<ModelMetricRow>(
    `SELECT model_id, key, value, is_nan, timestamp, step, run_uuid, dataset_name, dataset_digest
     FROM tracking_logged_model_metrics WHERE model_id IN (${marks(modelIds.length)}) ORDER BY model_id, id`,
    [...modelIds],
  );
  for (const r of rows) {
    const list = out.get(r.model_id) ?? [];
    list.push({
      key: r.key,
      value: Number(r.is_nan) === 1 ? Number.NaN : r.value,
      timestamp: Number(r.timestamp),
      step: Number(r.step),
      model_id: r.model_id,
      run_id: r.run_uuid,
      ...(r.dataset_name !== null ? { dataset_name: r.dataset_name } : {}),
      ...(r.dataset_digest !== null ? { dataset_digest: r.dataset_digest } : {}),
    });
    out.set(r.model_id, list);
  }
  return out;
}

/** Records that the run used these models as inputs; a model already recorded stays where it was. */
export async function insertModelInputs(
  tx: SqlExecutor,
  runId: string,
  modelIds: readonly string[],
): Promise<void> {
  const last = await tx.get<{ n: number | bigint | null }>(
    'SELECT MAX(position) AS n FROM tracking_run_model_inputs WHERE run_uuid = ?',
    [runId],
  );
  let position = Number(last?.n ?? -1);
  await tx.runMany(
    `INSERT INTO tracking_run_model_inputs (run_uuid, model_id, position) VALUES (?, ?, ?)
     ON CONFLICT (run_uuid, model_id) DO NOTHING`,
    modelIds.map((id) => [runId, id, ++position]),
  );
}

/** The models a run used as inputs, in the order they were first recorded. */
export async function selectModelInputs(tx: SqlExecutor, runId: string): Promise<string[]> {
  const rows = await tx.all<{ model_id: string }>(
    'SELECT model_id FROM tracking_run_model_inputs WHERE run_uuid = ? ORDER BY position',
    [runId],
  );
  return rows.map((r) => r.model_id);
}
