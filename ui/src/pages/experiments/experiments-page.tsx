import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import {
  createExperiment,
  deleteExperiment,
  type Experiment,
  renameExperiment,
  restoreExperiment,
  searchExperiments,
} from '../../api/experiments.ts';
import { useCan } from '../../app/session-context.tsx';
import { formatTime } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';

const route = getRouteApi('/experiments');

function CreateExperiment() {
  const client = useQueryClient();
  const navigate = route.useNavigate();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: createExperiment,
    onSuccess: async (id) => {
      setName('');
      await client.invalidateQueries({ queryKey: ['experiments'] });
      await navigate({ to: '/experiments/$experimentId', params: { experimentId: id }, search: {} });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        New experiment <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name" />
      </label>
      <button type="submit" disabled={!name.trim() || create.isPending}>
        Create
      </button>
      {create.error ? <ErrorMessage error={create.error} /> : null}
    </form>
  );
}

function ExperimentRow({ experiment, canWrite }: { experiment: Experiment; canWrite: boolean }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(experiment.name);
  const done = () => client.invalidateQueries({ queryKey: ['experiments'] });
  const rename = useMutation({
    mutationFn: () => renameExperiment(experiment.experiment_id, name.trim()),
    onSuccess: async () => {
      setEditing(false);
      await done();
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteExperiment(experiment.experiment_id),
    onSuccess: done,
  });
  const restore = useMutation({
    mutationFn: () => restoreExperiment(experiment.experiment_id),
    onSuccess: done,
  });
  const deleted = experiment.lifecycle_stage === 'deleted';
  const error = rename.error ?? remove.error ?? restore.error;
  return (
    <tr>
      <td>
        {editing ? (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              rename.mutate();
            }}
          >
            <label>
              <span className="visually-hidden">New name for {experiment.name}</span>
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </label>
            <button type="submit" disabled={!name.trim() || rename.isPending}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <Link
            to="/experiments/$experimentId"
            params={{ experimentId: experiment.experiment_id }}
            search={{}}
          >
            {experiment.name}
          </Link>
        )}
        {error ? <ErrorMessage error={error} /> : null}
      </td>
      <td className="mono">{experiment.experiment_id}</td>
      <td>{formatTime(experiment.last_update_time)}</td>
      <td>{formatTime(experiment.creation_time)}</td>
      {canWrite ? (
        <td className="actions">
          {deleted ? (
            <button type="button" onClick={() => restore.mutate()} disabled={restore.isPending}>
              Restore
            </button>
          ) : (
            <>
              <button type="button" onClick={() => setEditing(true)} disabled={editing}>
                Rename
              </button>
              <button
                type="button"
                className="danger"
                disabled={remove.isPending}
                onClick={() => {
                  if (window.confirm(`Delete experiment "${experiment.name}" and its runs?`)) remove.mutate();
                }}
              >
                Delete
              </button>
            </>
          )}
        </td>
      ) : null}
    </tr>
  );
}

/** Experiments: search by name, open one, and (editors) create, rename, delete, restore. */
export function ExperimentsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const canWrite = useCan('editor');
  const [text, setText] = useState(search.q ?? '');
  const experiments = useQuery({
    queryKey: ['experiments', search.q ?? '', Boolean(search.deleted)],
    queryFn: () => searchExperiments({ nameContains: search.q ?? '', deleted: Boolean(search.deleted) }),
  });
  return (
    <section aria-labelledby="experiments-title">
      <div className="page-head">
        <h1 id="experiments-title">Experiments</h1>
        {canWrite ? <CreateExperiment /> : null}
      </div>
      <div className="toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void navigate({ search: (prev) => ({ ...prev, q: text || undefined }) });
          }}
        >
          <label>
            <span className="visually-hidden">Search experiments by name</span>
            <input
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Search by name"
            />
          </label>
          <button type="submit">Search</button>
        </form>
        <label className="check">
          <input
            type="checkbox"
            checked={Boolean(search.deleted)}
            onChange={(e) =>
              void navigate({ search: (prev) => ({ ...prev, deleted: e.target.checked || undefined }) })
            }
          />
          Deleted experiments
        </label>
      </div>
      {experiments.isPending ? <Loading what="experiments" /> : null}
      {experiments.error ? <ErrorMessage error={experiments.error} /> : null}
      {experiments.data ? (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Last updated</th>
              <th scope="col">Created</th>
              {canWrite ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {experiments.data.experiments.map((e) => (
              <ExperimentRow key={e.experiment_id} experiment={e} canWrite={canWrite} />
            ))}
          </tbody>
        </table>
      ) : null}
      {experiments.data?.experiments.length === 0 ? <p className="muted">No experiments match.</p> : null}
    </section>
  );
}
