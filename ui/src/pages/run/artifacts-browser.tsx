import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { type ArtifactEntry, listArtifacts } from '../../api/artifacts.ts';
import { formatBytes } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { ArtifactPreview } from './artifact-preview.tsx';

function Directory({
  runId,
  path,
  selected,
  onSelect,
  depth,
}: {
  runId: string;
  path: string;
  selected: string | undefined;
  onSelect(entry: ArtifactEntry): void;
  depth: number;
}) {
  const entries = useQuery({
    queryKey: ['artifacts', runId, path],
    queryFn: () => listArtifacts(runId, path),
  });
  if (entries.isPending) return <Loading what="artifacts" />;
  if (entries.error) return <ErrorMessage error={entries.error} />;
  if (entries.data.length === 0 && depth === 0) return <p className="muted">No artifacts.</p>;
  return (
    <ul
      role={depth === 0 ? 'tree' : 'group'}
      aria-label={depth === 0 ? 'Artifacts' : undefined}
      className="tree"
    >
      {entries.data.map((e) => (
        <Node key={e.path} runId={runId} entry={e} selected={selected} onSelect={onSelect} depth={depth} />
      ))}
    </ul>
  );
}

function Node({
  runId,
  entry,
  selected,
  onSelect,
  depth,
}: {
  runId: string;
  entry: ArtifactEntry;
  selected: string | undefined;
  onSelect(entry: ArtifactEntry): void;
  depth: number;
}) {
  const [open, setOpen] = useState(() => selected?.startsWith(`${entry.path}/`) ?? false);
  const name = entry.path.split('/').pop();
  if (entry.is_dir)
    return (
      <li>
        <button type="button" className="tree-item" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span aria-hidden="true">{open ? '▾' : '▸'} </span>
          {name}/
        </button>
        {open ? (
          <Directory
            runId={runId}
            path={entry.path}
            selected={selected}
            onSelect={onSelect}
            depth={depth + 1}
          />
        ) : null}
      </li>
    );
  return (
    <li>
      <button
        type="button"
        aria-current={selected === entry.path ? 'true' : undefined}
        className={`tree-item${selected === entry.path ? ' active' : ''}`}
        onClick={() => onSelect(entry)}
      >
        {name} <span className="muted small">{formatBytes(entry.file_size)}</span>
      </button>
    </li>
  );
}

/** A run's artifacts as a tree (each directory listed when opened) beside a preview of the chosen file. */
export function ArtifactsBrowser({
  runId,
  path,
  onPath,
}: {
  runId: string;
  path: string | undefined;
  onPath(path: string | undefined): void;
}) {
  const parent = path?.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const siblings = useQuery({
    queryKey: ['artifacts', runId, parent],
    queryFn: () => listArtifacts(runId, parent),
    enabled: path !== undefined,
  });
  const entry = siblings.data?.find((e) => e.path === path && !e.is_dir);
  return (
    <div className="artifacts">
      <nav className="artifact-tree" aria-label="Artifact files">
        <Directory runId={runId} path="" selected={path} onSelect={(e) => onPath(e.path)} depth={0} />
      </nav>
      <div className="artifact-main">
        {entry ? (
          <ArtifactPreview runId={runId} entry={entry} />
        ) : (
          <p className="muted">{path ? 'No such file.' : 'Choose a file to preview it.'}</p>
        )}
      </div>
    </div>
  );
}
