import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { getModel, modelVersions } from '../../api/models.ts';
import { type AliasEvent, aliasHistory } from '../../api/promotion.ts';
import { useCan } from '../../app/session-context.tsx';
import { formatTime, shortId } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { AliasRow } from './alias-controls.tsx';

const route = getRouteApi('/models/$name');

/** Who moved which alias when, from where to where, past which gates. */
function AliasHistory({ events }: { events: AliasEvent[] }) {
  return (
    <section aria-labelledby="alias-history-title" className="panel">
      <h2 id="alias-history-title">Alias history</h2>
      <table className="data-table compact">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Alias</th>
            <th scope="col">Move</th>
            <th scope="col">Gates</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, 50).map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>
                <span className="badge alias">@{e.alias}</span>
              </td>
              <td>
                {e.action === 'delete'
                  ? `removed (was v${e.from_version ?? '?'})`
                  : `${e.from_version ? `v${e.from_version}` : 'new'} → v${e.to_version ?? '?'}`}
                {e.forced ? <span className="error"> forced{e.reason ? `: ${e.reason}` : ''}</span> : null}
              </td>
              <td>
                {e.gates.length === 0
                  ? '—'
                  : e.gates.map((g) => (
                      <span key={g.gate} className={`badge ${g.ok ? 'ok' : 'error'}`}>
                        {g.gate} {g.passed === undefined ? 'no result' : g.passed ? 'passed' : 'failed'}
                      </span>
                    ))}
              </td>
              <td>{e.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A registered model: its aliases (moved here by editors), versions and tags. */
export function ModelPage() {
  const { name } = route.useParams();
  const canWrite = useCan('editor');
  const model = useQuery({ queryKey: ['model', name], queryFn: () => getModel(name) });
  const versions = useQuery({ queryKey: ['versions', name], queryFn: () => modelVersions(name) });
  const history = useQuery({ queryKey: ['alias-history', name], queryFn: () => aliasHistory(name) });
  if (model.isPending) return <Loading what="the model" />;
  if (model.error) return <ErrorMessage error={model.error} />;
  const aliases = model.data.aliases ?? [];
  return (
    <section aria-labelledby="model-title">
      <div className="page-head">
        <h1 id="model-title">
          <Link to="/models" search={{}} className="crumb">
            Models
          </Link>{' '}
          / {name}
        </h1>
      </div>
      {model.data.description ? <p>{model.data.description}</p> : null}
      <section aria-labelledby="aliases-title" className="panel">
        <h2 id="aliases-title">Aliases</h2>
        {aliases.length === 0 ? (
          <p className="muted">No aliases yet: promote a version from its page.</p>
        ) : (
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Alias</th>
                <th scope="col">Version</th>
                {canWrite ? <th scope="col">Move</th> : null}
              </tr>
            </thead>
            <tbody>
              {aliases.map((a) => (
                <AliasRow
                  key={a.alias}
                  name={name}
                  alias={a.alias}
                  version={a.version}
                  versions={versions.data ?? []}
                  canWrite={canWrite}
                  history={history.data}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {history.data?.length ? <AliasHistory events={history.data} /> : null}
      <section aria-labelledby="versions-title" className="panel">
        <h2 id="versions-title">Versions</h2>
        {versions.isPending ? <Loading what="versions" /> : null}
        {versions.error ? <ErrorMessage error={versions.error} /> : null}
        {versions.data ? (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Aliases</th>
                <th scope="col">Created</th>
                <th scope="col">Run</th>
                <th scope="col">Package</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {versions.data.map((v) => {
                const hash = v.tags?.find((t) => t.key === 'cairn.package_hash')?.value;
                return (
                  <tr key={v.version}>
                    <td>
                      <Link
                        to="/models/$name/versions/$version"
                        params={{ name, version: v.version }}
                        search={{}}
                      >
                        v{v.version}
                      </Link>
                    </td>
                    <td>
                      {(v.aliases ?? []).map((a) => (
                        <span key={a} className="badge alias">
                          @{a}
                        </span>
                      ))}
                    </td>
                    <td>{formatTime(v.creation_timestamp)}</td>
                    <td>
                      {v.run_id ? (
                        <Link to="/runs/$runId" params={{ runId: v.run_id }} search={{}} className="mono">
                          {shortId(v.run_id)}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="mono">{hash ? hash.replace('sha256:', '').slice(0, 12) : '—'}</td>
                    <td>{(v.status ?? '').toLowerCase()}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
      <section aria-labelledby="model-tags-title" className="panel">
        <h2 id="model-tags-title">Tags</h2>
        {(model.data.tags ?? []).length === 0 ? <p className="muted">No tags.</p> : null}
        <dl className="facts">
          {(model.data.tags ?? []).map((t) => (
            <div key={t.key} className="fact">
              <dt className="mono">{t.key}</dt>
              <dd className="mono wrap">{t.value}</dd>
            </div>
          ))}
        </dl>
      </section>
    </section>
  );
}
