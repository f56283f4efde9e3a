import { useQueries, useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { lazy, Suspense } from 'react';
import { toNumber } from '../../api/http.ts';
import { getRun, metricSummaries, type Run } from '../../api/runs.ts';
import { list } from '../../app/search.ts';
import { seriesColor } from '../../app/theme.ts';
import { formatNumber } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';

const MetricChart = lazy(() => import('../../components/metric-chart.tsx'));
const route = getRouteApi('/compare');

function ValuesTable({
  title,
  runs,
  values,
  onlyDifferences,
}: {
  title: string;
  runs: Run[];
  values: (run: Run) => Map<string, string>;
  onlyDifferences: boolean;
}) {
  const maps = runs.map(values);
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  const differs = (key: string) => new Set(maps.map((m) => m.get(key))).size > 1;
  const shown = onlyDifferences ? keys.filter(differs) : keys;
  const id = `compare-${title.toLowerCase()}`;
  return (
    <section aria-labelledby={id} className="panel">
      <h2 id={id}>
        {title}{' '}
        <span className="muted">
          ({shown.length}
          {onlyDifferences ? ` of ${keys.length} differ` : ''})
        </span>
      </h2>
      <div className="table-scroll">
        <table className="data-table compact compare">
          <thead>
            <tr>
              <th scope="col">Key</th>
              {runs.map((r, i) => (
                <th scope="col" key={r.info.run_id}>
                  <span className="swatch" style={{ background: seriesColor(i) }} aria-hidden="true" />
                  {r.info.run_name || r.info.run_id}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={k} className={differs(k) ? 'differs' : ''}>
                <th scope="row" className="mono">
                  {k}
                </th>
                {maps.map((m, i) => (
                  <td key={runs[i]?.info.run_id} className="mono wrap">
                    {m.get(k) ?? '—'}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Runs side by side: params (optionally only those that differ), latest metrics, and overlaid histories. */
export function ComparePage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const ids = list(search.runs);
  const results = useQueries({
    queries: ids.map((id) => ({ queryKey: ['run', id], queryFn: () => getRun(id) })),
  });
  const summaries = useQuery({
    queryKey: ['metric-summaries', ids[0]],
    queryFn: () => metricSummaries(ids[0] as string),
    enabled: ids.length > 0 && !search.metric,
  });
  const error = results.find((r) => r.error)?.error;
  const runs = results.flatMap((r) => (r.data ? [r.data] : []));
  if (ids.length === 0)
    return (
      <section>
        <h1>Compare runs</h1>
        <p className="muted">Select runs in an experiment&rsquo;s table and choose Compare.</p>
      </section>
    );
  const metricKeys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  // By default the metric with the longest history in the first run.
  const longest = [...(summaries.data ?? [])].sort((a, b) => b.count - a.count)[0]?.key;
  const metric =
    search.metric && metricKeys.includes(search.metric) ? search.metric : (longest ?? metricKeys[0]);
  const onlyDifferences = Boolean(search.diff);
  return (
    <section aria-labelledby="compare-title" className="compare-page">
      <div className="page-head">
        <h1 id="compare-title">Compare {ids.length} runs</h1>
        <label className="check">
          <input
            type="checkbox"
            checked={onlyDifferences}
            onChange={(e) =>
              void navigate({ search: (prev) => ({ ...prev, diff: e.target.checked || undefined }) })
            }
          />
          Only differences
        </label>
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      {runs.length < ids.length && !error ? <Loading what="runs" /> : null}
      <p className="run-links">
        {runs.map((r, i) => (
          <Link key={r.info.run_id} to="/runs/$runId" params={{ runId: r.info.run_id }} search={{}}>
            <span className="swatch" style={{ background: seriesColor(i) }} aria-hidden="true" />
            {r.info.run_name || r.info.run_id}
          </Link>
        ))}
      </p>
      <ValuesTable
        title="Params"
        runs={runs}
        onlyDifferences={onlyDifferences}
        values={(r) => new Map((r.data.params ?? []).map((p) => [p.key, p.value]))}
      />
      <ValuesTable
        title="Metrics"
        runs={runs}
        onlyDifferences={onlyDifferences}
        values={(r) => new Map((r.data.metrics ?? []).map((m) => [m.key, formatNumber(toNumber(m.value))]))}
      />
      {metric ? (
        <section aria-labelledby="histories-title" className="panel">
          <div className="panel-head">
            <h2 id="histories-title">History</h2>
            <label>
              Metric{' '}
              <select
                value={metric}
                onChange={(e) => void navigate({ search: (prev) => ({ ...prev, metric: e.target.value }) })}
              >
                {metricKeys.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
          </div>
          <Suspense fallback={<Loading what="the chart" />}>
            <MetricChart
              metricKey={metric}
              runs={runs.map((r) => ({ id: r.info.run_id, name: r.info.run_name || r.info.run_id }))}
              x="step"
              height={320}
            />
          </Suspense>
        </section>
      ) : null}
    </section>
  );
}
