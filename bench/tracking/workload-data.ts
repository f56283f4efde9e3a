/**
 * The runs both servers receive, generated from a fixed seed so that each server (and each
 * backend) gets the same requests and the search results can be checked against the truth.
 */

export const PARAMS_PER_RUN = 20;
export const METRICS_PER_RUN = 20;
export const STEPS = 10;
export const MODELS = ['x', 'y', 'z', 'w'] as const;
export const SEARCH_FILTER = "metrics.acc > 0.8 and params.model = 'x'";
export const SEARCH_ORDER = 'metrics.acc DESC';
const BASE_TIME = Date.UTC(2026, 0, 1);

export interface RunSpec {
  name: string;
  startTime: number;
  model: string;
  /** The latest (last step's) value of metrics.acc. */
  acc: number;
  /** A run of the logging workload (full data), or one of the extra runs for the search workload. */
  full: boolean;
}

/** mulberry32: small, fast and the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runSpecs(fullRuns: number, total: number): RunSpec[] {
  const rand = random(20261123);
  return Array.from({ length: Math.max(fullRuns, total) }, (_, i) => ({
    name: `run-${String(i).padStart(5, '0')}`,
    startTime: BASE_TIME + i * 1000,
    model: MODELS[Math.floor(rand() * MODELS.length)] as string,
    acc: rand(),
    full: i < fullRuns,
  }));
}

/** The run names `SEARCH_FILTER` ordered by `SEARCH_ORDER` must return, in order. */
export function expectedSearch(specs: readonly RunSpec[]): string[] {
  return specs
    .filter((s) => s.acc > 0.8 && s.model === 'x')
    .sort((a, b) => b.acc - a.acc)
    .map((s) => s.name);
}

export function createRunBody(experimentId: string, spec: RunSpec) {
  return {
    experiment_id: experimentId,
    run_name: spec.name,
    start_time: spec.startTime,
    tags: [{ key: 'mlflow.user', value: 'bench' }],
  };
}

/**
 * A full run's data in one log-batch: 20 params, 20 metrics × 10 steps (200 points) and 3 tags,
 * 223 entities, inside MLflow's limits (1,000 entities, 1,000 metrics, 100 params, 100 tags).
 * An extra search run carries only params.model and metrics.acc.
 */
export function logBatchBody(runId: string, spec: RunSpec) {
  if (!spec.full)
    return {
      run_id: runId,
      params: [{ key: 'model', value: spec.model }],
      metrics: [{ key: 'acc', value: spec.acc, timestamp: spec.startTime, step: 0 }],
    };
  const rand = random(spec.startTime);
  const params = [{ key: 'model', value: spec.model }];
  for (let p = 1; p < PARAMS_PER_RUN; p++)
    params.push({ key: `param_${p}`, value: `${(rand() * 100).toFixed(4)}` });
  const metrics: { key: string; value: number; timestamp: number; step: number }[] = [];
  for (let m = 0; m < METRICS_PER_RUN; m++) {
    const key = m === 0 ? 'acc' : `metric_${m}`;
    for (let step = 0; step < STEPS; step++) {
      const value = m === 0 && step === STEPS - 1 ? spec.acc : rand();
      metrics.push({ key, value, timestamp: spec.startTime + step * 100, step });
    }
  }
  return {
    run_id: runId,
    params,
    metrics,
    tags: [
      { key: 'bench.workload', value: 'logging' },
      { key: 'bench.index', value: spec.name },
      { key: 'mlflow.source.name', value: 'bench/tracking/run.ts' },
    ],
  };
}

export function finishRunBody(runId: string, spec: RunSpec) {
  return { run_id: runId, status: 'FINISHED', end_time: spec.startTime + 60_000 };
}
