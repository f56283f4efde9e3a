import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsBlobStore } from '../../blobs/fs/fs-blob-store.ts';
import { ArtifactFiles } from './artifact-files.ts';

/**
 * The artifacts of a run whose artifact URI is a directory on this machine (`file:///…` or an
 * absolute path), laid out as the server lays them out; undefined for any other URI.
 *
 * @example
 * const files = localArtifactFiles(run.info.artifact_uri);
 * await files?.copyIn(['logs', 'train@small.log'], '/tmp/train.log');
 */
export function localArtifactFiles(artifactUri: string): ArtifactFiles | undefined {
  const dir = artifactUri.startsWith('file://')
    ? fileURLToPath(artifactUri)
    : isAbsolute(artifactUri)
      ? artifactUri
      : undefined;
  return dir === undefined ? undefined : new ArtifactFiles(new FsBlobStore({ root: dir }));
}
