import type { SeriesAxis } from '../../api/metrics.ts';
import { type ChartRun, MetricChart } from '../../components/metric-chart.tsx';

/** The chart view of the runs page: each chosen metric across the chosen runs, overlaid. */
export function RunsCharts({
  metricKeys,
  chosen,
  runs,
  x,
  onChoose,
}: {
  metricKeys: string[];
  chosen: string[];
  runs: ChartRun[];
  x: SeriesAxis;
  onChoose(metrics: string[]): void;
}) {
  const shown = chosen.length ? chosen.filter((m) => metricKeys.includes(m)) : metricKeys.slice(0, 4);
  return (
    <div className="runs-charts">
      <fieldset className="metric-choice">
        <legend>Metrics</legend>
        {metricKeys.map((m) => (
          <label key={m} className="check">
            <input
              type="checkbox"
              checked={shown.includes(m)}
              onChange={(e) => onChoose(e.target.checked ? [...shown, m] : shown.filter((k) => k !== m))}
            />
            {m}
          </label>
        ))}
      </fieldset>
      {runs.length === 0 ? <p className="muted">No runs to chart.</p> : null}
      <div className="chart-grid">
        {runs.length > 0 ? shown.map((m) => <MetricChart key={m} metricKey={m} runs={runs} x={x} />) : null}
      </div>
    </div>
  );
}

export default RunsCharts;
