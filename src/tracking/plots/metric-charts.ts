import type { Metric } from '../tracking-types.ts';
import { compare } from '../views/run-summary.ts';
import { type LinePlot, thin } from './plot-spec.ts';

/** One run's metric histories, labelled as the report names the run. */
export interface RunHistories {
  label: string;
  histories: ReadonlyMap<string, readonly Metric[]>;
}

/**
 * One line chart per metric, step on x, one line per run. Metrics that have a single value in
 * every run (a metrics file's numbers, logged at step 0) make no chart: the report lists them in
 * its table of latest values instead.
 */
export function metricCharts(runs: readonly RunHistories[]): LinePlot[] {
  const keys = [...new Set(runs.flatMap((r) => [...r.histories.keys()]))].sort(compare);
  const charts: LinePlot[] = [];
  for (const key of keys) {
    let thinned = false;
    const series = runs
      .map((r) => {
        const history = [...(r.histories.get(key) ?? [])]
          .filter((m) => Number.isFinite(m.value))
          .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
        const t = thin(history.map((m): [number, number] => [m.step, m.value]));
        thinned ||= t.thinned;
        return { label: r.label, points: t.points };
      })
      .filter((s) => s.points.length > 0);
    if (!series.some((s) => s.points.length > 1)) continue;
    charts.push({
      kind: 'line',
      title: key,
      source: 'metric history',
      x: 'step',
      y: key,
      series,
      ...(thinned ? { note: 'long histories thinned to the low and high point of each interval' } : {}),
    });
  }
  return charts;
}
