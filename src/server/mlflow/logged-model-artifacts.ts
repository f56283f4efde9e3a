import { errors } from '../../kernel/errors.ts';
import type { ArtifactLocator } from '../../registry/registration/artifact-locator.ts';

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * One level of a logged model's artifacts, as MLflow's ListLoggedModelArtifacts answers: paths
 * relative to the model's root, directories first listed as `is_dir`.
 */
export async function listArtifactDirectory(
  locate: ArtifactLocator,
  root: string,
  directory: string,
): Promise<FileInfo[]> {
  const dir = directory.replace(/^\/+|\/+$/g, '');
  if (dir.split('/').some((s) => s === '..' || s === '.'))
    throw errors.invalid(`Invalid path: '${directory}'`);
  const files = locate(root);
  if (!files)
    throw errors.precondition(
      `the artifacts at ${root} are not in this server's artifact store; read them from where they are`,
    );
  const prefix = dir === '' ? '' : `${dir}/`;
  const entries = new Map<string, FileInfo>();
  for await (const file of files.list()) {
    if (!file.path.startsWith(prefix)) continue;
    const rest = file.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) entries.set(rest, { path: prefix + rest, is_dir: false, file_size: file.size });
    else entries.set(rest.slice(0, slash), { path: prefix + rest.slice(0, slash), is_dir: true });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
