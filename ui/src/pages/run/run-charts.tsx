import type { SeriesAxis } from '../../api/metrics.ts';
import { MetricChart } from '../../components/metric-chart.tsx';
import { WhenVisible } from '../../components/when-visible.tsx';

/**
 * Every metric of a run, one chart each, drawn as they scroll into view. The keys come with the
 * run itself (its latest values): listing them reads no history.
 */
export function RunCharts({
  runId,
  runName,
  metricKeys,
  x,
}: {
  runId: string;
  runName: string;
  metricKeys: string[];
  x: SeriesAxis;
}) {
  if (metricKeys.length === 0) return <p className="muted">No metrics logged.</p>;
  const runs = [{ id: runId, name: runName }];
  return (
    <div className="chart-grid">
      {metricKeys.map((key) => (
        <WhenVisible key={key} minHeight={300}>
          <MetricChart metricKey={key} runs={runs} x={x} />
        </WhenVisible>
      ))}
    </div>
  );
}

export default RunCharts;
