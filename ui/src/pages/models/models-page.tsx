import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { searchModels } from '../../api/models.ts';
import { formatTime } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';

const route = getRouteApi('/models');

/** Registered models: search by name, with their aliases and latest version. */
export function ModelsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [text, setText] = useState(search.q ?? '');
  const models = useQuery({
    queryKey: ['models', search.q ?? ''],
    queryFn: () => searchModels(search.q ?? ''),
  });
  return (
    <section aria-labelledby="models-title">
      <div className="page-head">
        <h1 id="models-title">Models</h1>
      </div>
      <div className="toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void navigate({ search: { q: text || undefined } });
          }}
        >
          <label>
            <span className="visually-hidden">Search models by name</span>
            <input
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Search by name"
            />
          </label>
          <button type="submit">Search</button>
        </form>
      </div>
      {models.isPending ? <Loading what="models" /> : null}
      {models.error ? <ErrorMessage error={models.error} /> : null}
      {models.data ? (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Latest version</th>
              <th scope="col">Aliases</th>
              <th scope="col">Last updated</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => {
              const latest = (m.latest_versions ?? []).reduce(
                (top, v) => Math.max(top, Number(v.version)),
                0,
              );
              return (
                <tr key={m.name}>
                  <td>
                    <Link to="/models/$name" params={{ name: m.name }} search={{}}>
                      {m.name}
                    </Link>
                  </td>
                  <td>{latest ? `v${latest}` : '—'}</td>
                  <td>
                    {(m.aliases ?? []).map((a) => (
                      <span key={a.alias} className="badge alias">
                        @{a.alias} → v{a.version}
                      </span>
                    ))}
                  </td>
                  <td>{formatTime(m.last_updated_timestamp)}</td>
                  <td>{m.description ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {models.data?.length === 0 ? <p className="muted">No registered models match.</p> : null}
    </section>
  );
}
