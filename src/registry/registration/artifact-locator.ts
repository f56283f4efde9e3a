import type { PackageFiles } from '../lineage/package-hash.ts';

/**
 * The files under an artifact URI, when this process can read them; undefined otherwise (the
 * server reads only its own artifact store, never a location a client named elsewhere).
 */
export type ArtifactLocator = (uri: string) => PackageFiles | undefined;
