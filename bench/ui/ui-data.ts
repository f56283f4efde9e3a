import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { insertRun, newRun } from '../../src/tracking/sql/run-creation.ts';
import { activeRun, writeBatch, writeMetrics } from '../../src/tracking/sql/run-writes.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import type { Metric } from '../../src/tracking/tracking-types.ts';
import { validateBatch } from '../../src/tracking/tracking-validation.ts';

/**
 * The benchmark's data, the same on both sides: RUNS runs of 20 params and 50 metrics (one value
 * each), named `run-00000` … (newest last), and one more run, `long-history`, with one metric of
 * LONG_STEPS steps and a spike at SPIKE_STEP. Every value is integer arithmetic then one division,
 * so bench/ui/mlflow_load.py computes the very same numbers in Python.
 */
export const PARAMS = 20;
export const METRICS = 50;
export const T0 = 1_735_689_600_000;
export const SPIKE_STEP = 777_777;
export const SPIKE_VALUE = 5;

export function runName(i: number): string {
  return `run-${String(i).padStart(5, '0')}`;
}

export function paramValue(i: number, k: number): string {
  return String(((i * 31 + k * 17) % 997) / 10);
}

export function metricValue(i: number, k: number): number {
  return ((i * 7919 + k * 104_729) % 10_007) / 10_007;
}

/** The long history's value at `step` (the spike at SPIKE_STEP). */
export function longValue(step: number): number {
  return step === SPIKE_STEP ? SPIKE_VALUE : 0.2 + ((step * 7919) % 1000) / 10_000;
}

/** Run `i` starts at T0 + i s; the long run starts before all of them (it is the oldest). */
export function startTime(i: number): number {
  return T0 + i * 1000;
}

/**
 * Writes the data into Cairn's metadata store through its own SQL write path (what
 * runs/create and runs/log-batch run), 250 runs per transaction, and the long history 50,000
 * points per transaction. Returns the experiment id and the long run's id.
 */
export async function loadIntoCairn(
  metadata: MetadataStore,
  runs: number,
  longSteps: number,
): Promise<{ experimentId: string; longRunId: string }> {
  const store = new SqlTrackingStore(metadata, { defaultArtifactRoot: 'mlflow-artifacts:' });
  const experimentId = await store.createExperiment('ui-bench');
  const long = await store.createRun({
    experiment_id: experimentId,
    run_name: 'long-history',
    start_time: T0 - 1000,
  });
  for (let from = 0; from < runs; from += 250)
    await metadata.transaction(async (tx) => {
      for (let i = from; i < Math.min(runs, from + 250); i++) {
        const run = await insertRun(
          tx,
          newRun({ experiment_id: experimentId, run_name: runName(i), start_time: startTime(i) }),
        );
        const batch = validateBatch({
          params: Array.from({ length: PARAMS }, (_, k) => ({
            key: `param_${String(k).padStart(2, '0')}`,
            value: paramValue(i, k),
          })),
          metrics: Array.from({ length: METRICS }, (_, k) => ({
            key: `metric_${String(k).padStart(2, '0')}`,
            value: metricValue(i, k),
            step: 0,
            timestamp: startTime(i),
          })),
          tags: [],
        });
        await writeBatch(tx, run.info.run_id, batch);
      }
    });
  for (let from = 0; from < longSteps; from += 50_000)
    await metadata.transaction(async (tx) => {
      const run = await activeRun(tx, long.info.run_id);
      const points: Metric[] = [];
      for (let step = from; step < Math.min(longSteps, from + 50_000); step++)
        points.push({ key: 'loss', value: longValue(step), step, timestamp: T0 + step });
      await writeMetrics(tx, run, points);
    });
  return { experimentId, longRunId: long.info.run_id };
}
