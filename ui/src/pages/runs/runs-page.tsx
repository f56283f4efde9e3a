import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { getExperiment } from '../../api/experiments.ts';
import { runColumns, searchRunTable } from '../../api/runs.ts';
import { joined, list } from '../../app/search.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { ColumnPicker } from './column-picker.tsx';
import { ATTRIBUTE_COLUMNS, DEFAULT_COLUMNS, visibleColumns } from './run-columns.ts';
import { RunsGrid, type Sort } from './runs-grid.tsx';

const RunsCharts = lazy(() => import('./runs-charts.tsx'));
const route = getRouteApi('/experiments/$experimentId');

const FILTER_EXAMPLES = [
  "metrics.auc > 0.9 and params.model = 'gbdt'",
  "attributes.status = 'FINISHED'",
  "tags.team ILIKE '%vision%'",
  "params.lr IN ('0.1', '0.01')",
];

function FilterBox({ value, onApply }: { value: string; onApply(filter: string): void }) {
  const [text, setText] = useState(value);
  return (
    <form
      className="filter-box"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(text.trim());
      }}
    >
      <label>
        <span className="visually-hidden">Filter runs (MLflow search syntax)</span>
        <input
          type="search"
          className="mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="metrics.auc > 0.9 and params.model = 'gbdt'"
          spellCheck={false}
        />
      </label>
      <button type="submit">Filter</button>
      <details className="help">
        <summary>Syntax</summary>
        <p>
          MLflow&rsquo;s search syntax: <code>metrics.</code>, <code>params.</code>, <code>tags.</code>,{' '}
          <code>attributes.</code> and <code>datasets.</code> keys compared with <code>=</code>{' '}
          <code>!=</code> <code>&lt;</code> <code>&gt;</code> <code>LIKE</code> <code>ILIKE</code>{' '}
          <code>IN</code>, joined by <code>and</code>. Examples:
        </p>
        <ul>
          {FILTER_EXAMPLES.map((f) => (
            <li key={f}>
              <button type="button" className="link mono" onClick={() => setText(f)}>
                {f}
              </button>
            </li>
          ))}
        </ul>
      </details>
    </form>
  );
}

/** The runs of one experiment: the virtualized table, or charts of its metrics across runs. */
export function RunsPage() {
  const { experimentId } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const experiment = useQuery({
    queryKey: ['experiment', experimentId],
    queryFn: () => getExperiment(experimentId),
  });
  const keys = useQuery({
    queryKey: ['run-columns', experimentId],
    queryFn: () => runColumns([experimentId]),
    staleTime: 30_000,
  });
  const chosen = useMemo(
    () => (search.cols === undefined ? DEFAULT_COLUMNS : list(search.cols)),
    [search.cols],
  );
  const columns = useMemo(
    () => [...ATTRIBUTE_COLUMNS, ...visibleColumns(chosen, keys.data)],
    [chosen, keys.data],
  );
  const sort: Sort | undefined = search.sort ? { id: search.sort, desc: !search.asc } : undefined;
  const sortClause = useMemo(() => {
    const column = columns.find((c) => c.id === search.sort);
    return column?.sortKey ? [`${column.sortKey} ${search.asc ? 'ASC' : 'DESC'}`] : [];
  }, [columns, search.sort, search.asc]);
  const query = useMemo(
    () => ({ experimentId, filter: search.filter, orderBy: sortClause, columns: chosen }),
    [experimentId, search.filter, sortClause, chosen],
  );
  const selected = useMemo(() => new Set(list(search.sel)), [search.sel]);
  const onSelect = useCallback(
    (ids: string[], on: boolean) => {
      void navigate({
        search: (prev) => {
          const next = new Set(list(prev.sel));
          for (const id of ids) on ? next.add(id) : next.delete(id);
          return { ...prev, sel: joined([...next]) };
        },
        replace: true,
      });
    },
    [navigate],
  );
  const onSort = useCallback(
    (next: Sort | undefined) =>
      void navigate({
        search: (prev) => ({ ...prev, sort: next?.id, asc: next && !next.desc ? true : undefined }),
      }),
    [navigate],
  );
  const view = search.view ?? 'table';
  const x = search.x ?? 'step';

  const chartRuns = useQuery({
    queryKey: ['chart-runs', experimentId, search.sel ?? '', search.filter ?? '', sortClause],
    enabled: view === 'charts',
    queryFn: async () => {
      const ids = [...selected];
      const page = await searchRunTable({
        experimentIds: [experimentId],
        filter: ids.length
          ? `attributes.run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`
          : search.filter,
        orderBy: sortClause,
        offset: 0,
        limit: ids.length ? Math.min(ids.length, 1000) : 10,
        columns: [],
      });
      return page.runs.map((r) => ({ id: r.run_id, name: r.run_name || r.run_id }));
    },
  });

  return (
    <section aria-labelledby="runs-title" className="runs-page">
      <div className="page-head">
        <h1 id="runs-title">
          <Link to="/experiments" search={{}} className="crumb">
            Experiments
          </Link>{' '}
          / {experiment.data?.name ?? experimentId}
        </h1>
        <div className="tabs" role="tablist" aria-label="View">
          {(['table', 'charts'] as const).map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={view === v}
              className={view === v ? 'active' : ''}
              onClick={() =>
                void navigate({ search: (prev) => ({ ...prev, view: v === 'table' ? undefined : v }) })
              }
            >
              {v === 'table' ? 'Table' : 'Charts'}
            </button>
          ))}
        </div>
      </div>
      {experiment.error ? <ErrorMessage error={experiment.error} /> : null}
      <div className="toolbar">
        <FilterBox
          key={search.filter ?? ''}
          value={search.filter ?? ''}
          onApply={(filter) =>
            void navigate({ search: (prev) => ({ ...prev, filter: filter || undefined }) })
          }
        />
        <ColumnPicker
          keys={keys.data}
          chosen={chosen}
          onChange={(cols) =>
            void navigate({
              search: (prev) => ({
                ...prev,
                cols: cols.join(',') === DEFAULT_COLUMNS.join(',') ? undefined : cols.join(','),
              }),
              replace: true,
            })
          }
        />
        {view === 'charts' ? (
          <label>
            x axis{' '}
            <select
              value={x}
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
        <span className="spacer" />
        {selected.size > 0 ? (
          <>
            <Link className="button" to="/compare" search={{ runs: joined([...selected]) }}>
              Compare {selected.size}
            </Link>
            <button
              type="button"
              onClick={() => void navigate({ search: (prev) => ({ ...prev, sel: undefined }) })}
            >
              Clear selection
            </button>
          </>
        ) : null}
      </div>
      {view === 'table' ? (
        <RunsGrid
          query={query}
          columns={columns}
          sort={sort}
          onSort={onSort}
          selected={selected}
          onSelect={onSelect}
        />
      ) : (
        <Suspense fallback={<Loading what="charts" />}>
          {chartRuns.error ? <ErrorMessage error={chartRuns.error} /> : null}
          <p className="muted small">
            {selected.size
              ? `The ${selected.size} selected runs.`
              : 'The first 10 runs of the table; select runs to chart others.'}
          </p>
          <RunsCharts
            metricKeys={keys.data?.metrics ?? []}
            chosen={list(search.charts)}
            runs={chartRuns.data ?? []}
            x={x}
            onChoose={(metrics) =>
              void navigate({ search: (prev) => ({ ...prev, charts: joined(metrics) }), replace: true })
            }
          />
        </Suspense>
      )}
    </section>
  );
}
