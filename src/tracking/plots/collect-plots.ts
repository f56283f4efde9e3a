import type { TrackingStore } from '../tracking-store.ts';
import type { Metric, Run } from '../tracking-types.ts';
import { metricHistory } from '../views/run-details.ts';
import { SHORT_ID } from '../views/run-lookup.ts';
import { compare } from '../views/run-summary.ts';
import { metricCharts } from './metric-charts.ts';
import { plotsFromFile } from './plot-files.ts';
import type { PlotReport } from './plot-report.ts';

/** How the report names a run: `calm-cat-929 (562b5b26)`. */
export function runLabel(run: Run): string {
  return `${run.info.run_name} (${run.info.run_id.slice(0, SHORT_ID)})`;
}

/** The runs' part of a report: the runs table, one chart per metric history, the latest values. */
export async function collectRunPlots(
  store: TrackingStore,
  runs: readonly Run[],
  experimentNames: ReadonlyMap<string, string> = new Map(),
): Promise<Pick<PlotReport, 'runs' | 'metricCharts' | 'latest'>> {
  const histories = [];
  for (const run of runs) {
    const map = new Map<string, Metric[]>();
    for (const m of run.data.metrics) map.set(m.key, await metricHistory(store, run.info.run_id, m.key));
    histories.push({ label: runLabel(run), histories: map });
  }
  const keys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort(compare);
  return {
    runs: runs.map((r) => ({
      run_id: r.info.run_id,
      run_name: r.info.run_name,
      status: r.info.status,
      start_time: r.info.start_time,
      experiment: experimentNames.get(r.info.experiment_id) ?? r.info.experiment_id,
    })),
    metricCharts: metricCharts(histories),
    latest: {
      keys,
      rows: runs.map((r) => {
        const values = new Map(r.data.metrics.map((m) => [m.key, m.value]));
        return { run: runLabel(r), values: keys.map((k) => values.get(k)) };
      }),
    },
  };
}

/** The plots files' part of a report: each file parsed into plots, or the reason it could not be. */
export function collectFilePlots(
  files: readonly { stage: string; path: string; content?: Uint8Array; error?: string }[],
): PlotReport['files'] {
  return files.map((f) => ({
    stage: f.stage,
    path: f.path,
    plots: f.content
      ? plotsFromFile(f.path, f.content)
      : [{ kind: 'problem', title: f.path, source: f.path, message: f.error ?? 'unreadable' }],
  }));
}
