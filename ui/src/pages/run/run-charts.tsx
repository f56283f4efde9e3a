import { useQuery } from '@tanstack/react-query';
import type { SeriesAxis } from '../../api/metrics.ts';
import { metricSummaries } from '../../api/runs.ts';
import { MetricChart } from '../../components/metric-chart.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { WhenVisible } from '../../components/when-visible.tsx';

/** Every metric of a run, one chart each, drawn as they scroll into view. */
export function RunCharts({ runId, runName, x }: { runId: string; runName: string; x: SeriesAxis }) {
  const summaries = useQuery({
    queryKey: ['metric-summaries', runId],
    queryFn: () => metricSummaries(runId),
  });
  if (summaries.isPending) return <Loading what="metrics" />;
  if (summaries.error) return <ErrorMessage error={summaries.error} />;
  if (summaries.data.length === 0) return <p className="muted">No metrics logged.</p>;
  const runs = [{ id: runId, name: runName }];
  return (
    <div className="chart-grid">
      {summaries.data.map((m) => (
        <WhenVisible key={m.key} minHeight={300}>
          <MetricChart metricKey={m.key} runs={runs} x={x} />
        </WhenVisible>
      ))}
    </div>
  );
}

export default RunCharts;
