import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { deleteAlias, type ModelVersion, setAlias } from '../../api/models.ts';
import { type AliasEvent, promote } from '../../api/promotion.ts';
import { ErrorMessage } from '../../components/status.tsx';

/**
 * Moving an alias: promote a version, roll back to the version before, or remove the alias.
 * The registry checks gates on gated aliases; a refusal is shown as the server words it.
 */
export function useAliasMutations(name: string) {
  const client = useQueryClient();
  const refresh = () =>
    client.invalidateQueries({
      predicate: (q) =>
        ['model', 'versions', 'version', 'lineage', 'alias-history'].includes(String(q.queryKey[0])),
    });
  // Through the promotion check when the server has it (gates enforced, move recorded), else MLflow's alias API.
  const move = useMutation({
    mutationFn: async ({ alias, version }: { alias: string; version: string }) => {
      if (!(await promote(name, alias, version))) await setAlias(name, alias, version);
    },
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (alias: string) => deleteAlias(name, alias), onSuccess: refresh });
  return { move, remove };
}

export function AliasRow({
  name,
  alias,
  version,
  versions,
  canWrite,
  history,
}: {
  name: string;
  alias: string;
  version: string;
  versions: ModelVersion[];
  canWrite: boolean;
  /** The model's alias moves (newest first), when the server records them. */
  history?: AliasEvent[] | null | undefined;
}) {
  const { move, remove } = useAliasMutations(name);
  const numbers = versions.map((v) => Number(v.version)).sort((a, b) => b - a);
  // Rolling back returns the alias to where it pointed before its last move; without a recorded
  // history, to the highest version below the current one.
  const lastMove = history?.find((e) => e.alias === alias && e.action === 'set' && e.to_version === version);
  const previous = lastMove
    ? lastMove.from_version === undefined
      ? undefined
      : Number(lastMove.from_version)
    : numbers.find((n) => n < Number(version));
  const [target, setTarget] = useState(version);
  return (
    <tr>
      <th scope="row">
        <span className="badge alias">@{alias}</span>
      </th>
      <td>v{version}</td>
      {canWrite ? (
        <td className="actions">
          <label>
            <span className="visually-hidden">Version for @{alias}</span>
            <select value={target} onChange={(e) => setTarget(e.target.value)}>
              {numbers.map((n) => (
                <option key={n} value={String(n)}>
                  v{n}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            disabled={target === version || move.isPending}
            onClick={() => move.mutate({ alias, version: target })}
          >
            Move @{alias} to v{target}
          </button>
          {previous !== undefined ? (
            <button
              type="button"
              disabled={move.isPending}
              onClick={() => {
                if (window.confirm(`Roll @${alias} back from v${version} to v${previous}?`))
                  move.mutate({ alias, version: String(previous) });
              }}
            >
              Roll back to v{previous}
            </button>
          ) : null}
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Remove the alias @${alias} from ${name}?`)) remove.mutate(alias);
            }}
          >
            Remove
          </button>
          {move.error ? <ErrorMessage error={move.error} /> : null}
          {remove.error ? <ErrorMessage error={remove.error} /> : null}
        </td>
      ) : null}
    </tr>
  );
}

/** Points an alias (new or existing) at one version: the "promote" of the version page. */
export function PromoteForm({
  name,
  version,
  aliases,
}: {
  name: string;
  version: string;
  aliases: string[];
}) {
  const { move } = useAliasMutations(name);
  const [alias, setAliasName] = useState('champion');
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (alias.trim()) move.mutate({ alias: alias.trim(), version });
      }}
    >
      <label>
        Promote v{version} to alias{' '}
        <input list="known-aliases" value={alias} onChange={(e) => setAliasName(e.target.value)} />
      </label>
      <datalist id="known-aliases">
        {['champion', 'challenger', ...aliases].map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <button type="submit" className="primary" disabled={!alias.trim() || move.isPending}>
        Promote
      </button>
      {move.isSuccess ? (
        <span role="status" className="ok">
          @{move.variables?.alias} now points to v{version}
        </span>
      ) : null}
      {move.error ? <ErrorMessage error={move.error} /> : null}
    </form>
  );
}
