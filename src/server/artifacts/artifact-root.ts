import { ArtifactRoot } from '../../tracking/artifacts/artifact-root.ts';
import type { ServerDeps } from '../create-server.ts';

/** The artifact root of a server: `deps.artifactsUri`, else the artifact blob store's location. */
export function artifactRootOf(deps: Pick<ServerDeps, 'artifacts' | 'artifactsUri'>): ArtifactRoot {
  return new ArtifactRoot(deps.artifactsUri ?? deps.artifacts.location);
}
