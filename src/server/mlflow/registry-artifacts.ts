import type { PackageFiles } from '../../registry/lineage/package-hash.ts';
import type { ArtifactLocator } from '../../registry/registration/artifact-locator.ts';
import type { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import type { ArtifactRoot } from '../../tracking/artifacts/artifact-root.ts';

/**
 * Model packages in the server's artifact store, read the way the artifact proxy stores them:
 * `mlflow-artifacts:/…`, proxy URLs, and `file:` / `s3:` URIs under the artifact root. A URI the
 * root does not contain (or an unsafe one) is not located: the server never reads elsewhere.
 */
export function serverArtifactLocator(root: ArtifactRoot, files: ArtifactFiles): ArtifactLocator {
  return (uri) => {
    let base: string[] | undefined;
    try {
      base = root.pathOf(uri);
    } catch {
      return undefined;
    }
    if (base === undefined) return undefined;
    const dir = base;
    const located: PackageFiles = {
      location: uri,
      async *list() {
        const pending: string[][] = [[]];
        for (let rel = pending.pop(); rel !== undefined; rel = pending.pop())
          for (const entry of await files.list([...dir, ...rel])) {
            const path = [...rel, entry.path];
            if (entry.is_dir) pending.push(path);
            else yield { path: path.join('/'), size: entry.file_size ?? 0 };
          }
      },
      read: async (path) => (await files.open([...dir, ...path.split('/')])).stream,
    };
    return located;
  };
}
