import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { getVersion, versionLineage } from '../../api/models.ts';
import { useCan } from '../../app/session-context.tsx';
import { formatTime } from '../../components/format.ts';
import { LineageGraph } from '../../components/lineage-graph.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { PromoteForm } from './alias-controls.tsx';
import { GateResults } from './gate-results.tsx';

const route = getRouteApi('/models/$name/versions/$version');

/** A model version: facts, aliases (promote), its lineage as a graph, gate results, and its tags. */
export function VersionPage() {
  const { name, version } = route.useParams();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const canWrite = useCan('editor');
  const mv = useQuery({ queryKey: ['version', name, version], queryFn: () => getVersion(name, version) });
  const lineage = useQuery({
    queryKey: ['lineage', name, version, Boolean(search.verify)],
    queryFn: () => versionLineage(name, version, Boolean(search.verify)),
  });
  if (mv.isPending) return <Loading what="the version" />;
  if (mv.error) return <ErrorMessage error={mv.error} />;
  const v = mv.data;
  const tags = v.tags ?? [];
  return (
    <section aria-labelledby="version-title">
      <div className="page-head">
        <h1 id="version-title">
          <Link to="/models" search={{}} className="crumb">
            Models
          </Link>{' '}
          /{' '}
          <Link to="/models/$name" params={{ name }} search={{}} className="crumb">
            {name}
          </Link>{' '}
          / v{version}{' '}
          {(v.aliases ?? []).map((a) => (
            <span key={a} className="badge alias">
              @{a}
            </span>
          ))}
        </h1>
      </div>
      <dl className="facts">
        <dt>Created</dt>
        <dd>{formatTime(v.creation_timestamp)}</dd>
        <dt>Source</dt>
        <dd className="mono wrap">{v.source}</dd>
        <dt>Run</dt>
        <dd>
          {v.run_id ? (
            <Link to="/runs/$runId" params={{ runId: v.run_id }} search={{}} className="mono">
              {v.run_id}
            </Link>
          ) : (
            '—'
          )}
        </dd>
        <dt>Status</dt>
        <dd>{(v.status ?? '').toLowerCase()}</dd>
        {v.description ? (
          <>
            <dt>Description</dt>
            <dd>{v.description}</dd>
          </>
        ) : null}
      </dl>
      {canWrite ? (
        <section aria-labelledby="promote-title" className="panel">
          <h2 id="promote-title">Promote</h2>
          <PromoteForm name={name} version={version} aliases={v.aliases ?? []} />
        </section>
      ) : null}
      <GateResults name={name} version={version} />
      <section aria-labelledby="lineage-title" className="panel">
        <div className="panel-head">
          <h2 id="lineage-title">Lineage</h2>
          <label className="check">
            <input
              type="checkbox"
              checked={Boolean(search.verify)}
              onChange={(e) =>
                void navigate({ search: (prev) => ({ ...prev, verify: e.target.checked || undefined }) })
              }
            />
            Verify the package hash
          </label>
        </div>
        {lineage.isPending ? <Loading what="the lineage" /> : null}
        {lineage.error ? <ErrorMessage error={lineage.error} /> : null}
        {lineage.data ? <LineageGraph lineage={lineage.data} /> : null}
      </section>
      <section aria-labelledby="version-tags-title" className="panel">
        <h2 id="version-tags-title">Tags</h2>
        {tags.length === 0 ? <p className="muted">No tags.</p> : null}
        <table className="data-table compact">
          <tbody>
            {tags.map((t) => (
              <tr key={t.key}>
                <th scope="row" className="mono">
                  {t.key}
                </th>
                <td className="mono wrap">{t.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
