import { useQuery } from '@tanstack/react-query';
import { listArtifacts } from '../../api/artifacts.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { ArtifactPreview } from './artifact-preview.tsx';

/** The logs a `cairn run` attached (artifacts under logs/), one at a time. */
export function RunLogs({
  runId,
  log,
  onLog,
}: {
  runId: string;
  log: string | undefined;
  onLog(log: string): void;
}) {
  const logs = useQuery({
    queryKey: ['artifacts', runId, 'logs'],
    queryFn: () => listArtifacts(runId, 'logs'),
  });
  if (logs.isPending) return <Loading what="logs" />;
  if (logs.error) return <ErrorMessage error={logs.error} />;
  const files = logs.data.filter((e) => !e.is_dir);
  if (files.length === 0)
    return (
      <p className="muted">This run has no logs (cairn run attaches each stage&rsquo;s log under logs/).</p>
    );
  const current = files.find((f) => f.path === log) ?? files[0];
  return (
    <div className="logs">
      <div className="tabs" role="tablist" aria-label="Logs">
        {files.map((f) => (
          <button
            key={f.path}
            type="button"
            role="tab"
            aria-selected={f.path === current?.path}
            className={f.path === current?.path ? 'active' : ''}
            onClick={() => onLog(f.path)}
          >
            {f.path.slice('logs/'.length)}
          </button>
        ))}
      </div>
      {current ? <ArtifactPreview runId={runId} entry={current} /> : null}
    </div>
  );
}
