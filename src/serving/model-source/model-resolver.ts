import type { Digest } from '../../kernel/hashing.ts';

/** A model URI turned into a local, verified package directory. */
export interface ResolvedModel {
  /** The URI as configured (`models:/income@champion`, `./model`, …). */
  uri: string;
  /** The registered model's name, or the package directory's name. */
  name: string;
  /** The registry version, or the first 12 hex digits of the package hash for a directory. */
  version: string;
  /** `sha256:` of the package's canonical manifest (docs/server.md, "Package hash"). */
  package_hash: Digest;
  /** The hash the registry recorded for the version (`cairn.package_hash`); absent for a directory. */
  recorded_hash?: Digest;
  /** The directory to load. */
  dir: string;
  source: 'directory' | 'registry';
}

/**
 * Turns model URIs into loadable packages: fetches registry versions and refuses any whose files
 * do not hash to what the registry recorded.
 */
export interface ModelResolver {
  resolve(uri: string): Promise<ResolvedModel>;
}
