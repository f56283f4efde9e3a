import { mlflow, withQuery } from './http.ts';

export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** The direct children of a directory of a run's artifacts. */
export async function listArtifacts(runId: string, path: string): Promise<ArtifactEntry[]> {
  const body = (await mlflow('artifacts/list', { query: { run_id: runId, ...(path ? { path } : {}) } })) as {
    files?: ArtifactEntry[];
  };
  return body.files ?? [];
}

/** Where the browser downloads one artifact file (an attachment). */
export function artifactUrl(runId: string, path: string): string {
  return withQuery(`/api/v1/runs/${encodeURIComponent(runId)}/artifact`, { path });
}

/** A file's bytes, for a preview; only called below the preview cap. */
export async function fetchArtifact(runId: string, path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await fetch(artifactUrl(runId, path), {
    credentials: 'same-origin',
    headers: { 'x-requested-with': 'XMLHttpRequest' },
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`could not read ${path}: the server answered ${res.status}`);
  return res.blob();
}
