import type { TrackingStore } from '../tracking-store.ts';
import type { Metric, Run } from '../tracking-types.ts';
import {
  compare,
  isSystemTag,
  type RunSummary,
  recordedOutputs,
  type StageOutcome,
  stageOutcomes,
  summarizeRun,
} from './run-summary.ts';

/** One metric of a run: its latest value and a summary of its history. */
export interface MetricSummary {
  key: string;
  /** The latest value (highest step, then latest timestamp), as MLflow reports it. */
  value: number;
  step: number;
  /** How many values were logged. */
  points: number;
  /** Distinct steps among them. */
  steps: number;
  min: number;
  max: number;
}

export interface RunDetails extends RunSummary {
  artifact_uri: string;
  metric_history: MetricSummary[];
  stages: StageOutcome[];
  outputs: { path: string; hash: string }[];
  inputs: { name: string; digest: string; source_type: string; source: string; context?: string }[];
  /** Tags other than `mlflow.*` and `cairn.*`. */
  user_tags: Record<string, string>;
}

/** Every logged value of one metric, following pages. */
export async function metricHistory(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  let token: string | undefined;
  do {
    const page = await store.getMetricHistory(runId, key, {
      max_results: 25_000,
      ...(token ? { page_token: token } : {}),
    });
    out.push(...page.items);
    token = page.next_page_token;
  } while (token);
  return out;
}

/** What `cairn exp show` prints: the run, its metrics with their histories summarised, stages, inputs. */
export async function runDetails(
  store: TrackingStore,
  run: Run,
  experimentName?: string,
): Promise<RunDetails> {
  const summary = summarizeRun(run, experimentName);
  const metric_history: MetricSummary[] = [];
  for (const latest of [...run.data.metrics].sort((a, b) => compare(a.key, b.key))) {
    const history = await metricHistory(store, run.info.run_id, latest.key);
    let min = Number.NaN;
    let max = Number.NaN;
    for (const { value } of history) {
      if (Number.isNaN(value)) continue;
      if (!(value >= min)) min = value;
      if (!(value <= max)) max = value;
    }
    metric_history.push({
      key: latest.key,
      value: latest.value,
      step: latest.step,
      points: history.length,
      steps: new Set(history.map((m) => m.step)).size,
      min,
      max,
    });
  }
  return {
    ...summary,
    artifact_uri: run.info.artifact_uri,
    metric_history,
    stages: stageOutcomes(summary.tags),
    outputs: recordedOutputs(summary.tags),
    inputs: run.inputs.dataset_inputs.map((d) => {
      const context = d.tags.find((t) => t.key === 'mlflow.data.context')?.value;
      return {
        name: d.dataset.name,
        digest: d.dataset.digest,
        source_type: d.dataset.source_type,
        source: d.dataset.source,
        ...(context !== undefined ? { context } : {}),
      };
    }),
    user_tags: Object.fromEntries(Object.entries(summary.tags).filter(([k]) => !isSystemTag(k))),
  };
}
