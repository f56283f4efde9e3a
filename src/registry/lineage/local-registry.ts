import type { MetadataStore } from '../../store/metadata-store.ts';
import { SqlLoggedModelStore } from '../../tracking/sql/sql-logged-model-store.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import { localArtifactLocator } from '../registration/local-artifact-locator.ts';
import { VersionRegistrar } from '../registration/version-registrar.ts';
import type { RegistryStore } from '../registry-store.ts';
import { REGISTRY_MIGRATIONS } from '../sql/registry-migrations.ts';
import { SqlRegistryStore } from '../sql/sql-registry-store.ts';
import { type ModelLineage, readModelLineage } from './model-lineage.ts';

export interface LocalRegistry {
  registry: RegistryStore;
  lineage(name: string, version: string, verify: boolean): Promise<ModelLineage>;
  /** Creates versions as the server does: lineage tags and the package hash recorded. */
  versions: VersionRegistrar;
}

/**
 * The registry of a metadata store opened directly (a workspace's, or one a URI names), with
 * lineage read from the same store; `--verify` can re-hash packages kept on this machine.
 */
export async function localRegistry(
  metadata: MetadataStore,
  tracking: TrackingStore,
): Promise<LocalRegistry> {
  await metadata.migrate(REGISTRY_MIGRATIONS);
  const registry = new SqlRegistryStore(metadata);
  const loggedModels = new SqlLoggedModelStore(metadata, tracking);
  const registrar = new VersionRegistrar({ registry, tracking, loggedModels, locate: localArtifactLocator });
  return {
    registry,
    versions: registrar,
    lineage: (name, version, verify) =>
      readModelLineage(
        { registry, tracking, loggedModels, packageHashOf: (source) => registrar.packageHashOf(source) },
        name,
        version,
        { verify },
      ),
  };
}
