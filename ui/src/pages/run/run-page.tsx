import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { getExperiment } from '../../api/experiments.ts';
import { getRun } from '../../api/runs.ts';
import { ErrorMessage, Loading, StatusBadge } from '../../components/status.tsx';
import { ArtifactsBrowser } from './artifacts-browser.tsx';
import { RunCharts } from './run-charts.tsx';
import { RunLogs } from './run-logs.tsx';
import { RunOverview } from './run-overview.tsx';

const route = getRouteApi('/runs/$runId');
const TABS = ['overview', 'charts', 'artifacts', 'logs'] as const;

/** One run: overview, metric charts, artifacts and logs, one tab each (the tab is in the URL). */
export function RunPage() {
  const { runId } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => getRun(runId) });
  const experimentId = run.data?.info.experiment_id;
  const experiment = useQuery({
    queryKey: ['experiment', experimentId],
    queryFn: () => getExperiment(experimentId as string),
    enabled: experimentId !== undefined,
  });
  const tab = search.tab ?? 'overview';
  if (run.isPending) return <Loading what="the run" />;
  if (run.error) return <ErrorMessage error={run.error} />;
  const info = run.data.info;
  return (
    <section aria-labelledby="run-title" className="run-page">
      <div className="page-head">
        <h1 id="run-title">
          <Link to="/experiments" search={{}} className="crumb">
            Experiments
          </Link>{' '}
          /{' '}
          <Link
            to="/experiments/$experimentId"
            params={{ experimentId: info.experiment_id }}
            search={{}}
            className="crumb"
          >
            {experiment.data?.name ?? info.experiment_id}
          </Link>{' '}
          / {info.run_name || info.run_id} <StatusBadge status={info.status} />
        </h1>
      </div>
      <div className="tabs" role="tablist" aria-label="Run">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'active' : ''}
            onClick={() =>
              void navigate({ search: (prev) => ({ ...prev, tab: t === 'overview' ? undefined : t }) })
            }
          >
            {t[0]?.toUpperCase()}
            {t.slice(1)}
          </button>
        ))}
        {tab === 'charts' ? (
          <label className="tab-tool">
            x axis{' '}
            <select
              value={search.x ?? 'step'}
              onChange={(e) =>
                void navigate({
                  search: (prev) => ({
                    ...prev,
                    x: e.target.value === 'timestamp' ? 'timestamp' : undefined,
                  }),
                })
              }
            >
              <option value="step">step</option>
              <option value="timestamp">time</option>
            </select>
          </label>
        ) : null}
      </div>
      <div role="tabpanel" aria-label={tab}>
        {tab === 'overview' ? <RunOverview run={run.data} /> : null}
        {tab === 'charts' ? (
          <RunCharts
            runId={runId}
            runName={info.run_name || runId}
            metricKeys={(run.data.data.metrics ?? []).map((m) => m.key).sort()}
            x={search.x ?? 'step'}
          />
        ) : null}
        {tab === 'artifacts' ? (
          <ArtifactsBrowser
            runId={runId}
            path={search.path}
            onPath={(path) => void navigate({ search: (prev) => ({ ...prev, path }) })}
          />
        ) : null}
        {tab === 'logs' ? (
          <RunLogs
            runId={runId}
            log={search.log}
            onLog={(log) => void navigate({ search: (prev) => ({ ...prev, log }) })}
          />
        ) : null}
      </div>
    </section>
  );
}
