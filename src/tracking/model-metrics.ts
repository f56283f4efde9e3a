import type { LoggedModelStore } from './logged-model-store.ts';
import type { TrackingStore } from './tracking-store.ts';
import type { LogBatch, Metric } from './tracking-types.ts';

/** A run's metric value that may also name the logged model (and dataset) it measures. */
export interface RunMetric extends Metric {
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface MetricStores {
  tracking: TrackingStore;
  loggedModels: LoggedModelStore;
}

const plain = ({ key, value, timestamp, step }: RunMetric): Metric => ({ key, value, timestamp, step });

/** Refuses an unknown or deleted model before anything is written. */
async function checkModels(
  loggedModels: LoggedModelStore,
  metrics: readonly RunMetric[],
): Promise<RunMetric[]> {
  const forModels = metrics.filter((m) => m.model_id);
  for (const id of new Set(forModels.map((m) => m.model_id as string))) await loggedModels.getLoggedModel(id);
  return forModels;
}

function attach(
  loggedModels: LoggedModelStore,
  runId: string,
  forModels: readonly RunMetric[],
): Promise<void> {
  return loggedModels.logLoggedModelMetrics(
    runId,
    forModels.map((m) => ({
      ...plain(m),
      model_id: m.model_id as string,
      ...(m.dataset_name ? { dataset_name: m.dataset_name } : {}),
      ...(m.dataset_digest ? { dataset_digest: m.dataset_digest } : {}),
    })),
  );
}

/**
 * Logs one metric value to a run as MLflow 3 does (`mlflow.log_metric(..., model_id=…)`): into
 * the run's history, and, when it names a `model_id`, onto that logged model too.
 */
export async function logRunMetric(stores: MetricStores, runId: string, metric: RunMetric): Promise<void> {
  const forModels = await checkModels(stores.loggedModels, [metric]);
  await stores.tracking.logMetric(runId, plain(metric));
  if (forModels.length > 0) await attach(stores.loggedModels, runId, forModels);
}

/** A log-batch whose metrics may name logged models: MLflow 3's `log_batch`. */
export async function logRunBatch(
  stores: MetricStores,
  runId: string,
  batch: Omit<LogBatch, 'metrics'> & { metrics?: RunMetric[] },
): Promise<void> {
  const metrics = batch.metrics ?? [];
  const forModels = await checkModels(stores.loggedModels, metrics);
  await stores.tracking.logBatch(runId, { ...batch, metrics: metrics.map(plain) });
  if (forModels.length > 0) await attach(stores.loggedModels, runId, forModels);
}
