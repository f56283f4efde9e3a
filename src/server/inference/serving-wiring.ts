import type { BlobStore } from '../../blobs/blob-store.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { PackageFiles } from '../../registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../registry/registration/local-artifact-locator.ts';
import { artifactUriOf } from '../../registry/registration/source-location.ts';
import type { RegistryStore } from '../../registry/registry-store.ts';
import type { ModelVersion } from '../../registry/registry-types.ts';
import { InferenceService } from '../../serving/inference-service.ts';
import { PackageCache } from '../../serving/model-source/package-cache.ts';
import { PackageResolver } from '../../serving/model-source/package-resolver.ts';
import { proxyArtifactFiles } from '../../serving/model-source/proxy-artifact-files.ts';
import {
  type PredictionLogConfig,
  PredictionLogWriter,
} from '../../serving/prediction-log/prediction-log-writer.ts';
import { ServingMetrics } from '../../serving/serving-metrics.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';

/** Where `models:/` URIs are looked up. */
export type RegistrySource =
  | { kind: 'none' }
  /** A workspace's (or any SQL) metadata store, opened by the caller. */
  | { kind: 'store'; metadata: MetadataStore; tracking: TrackingStore }
  /** A tracking server (`cairn server`, `mlflow server`) over MLflow's REST API. */
  | { kind: 'server'; uri: string; token?: string; username?: string; password?: string };

export interface ServingWiring {
  registry: RegistrySource;
  /** Where fetched packages are kept. */
  cacheDir: string;
  /** Relative package paths are resolved against this directory. */
  cwd: string;
  /** The prediction log's store and settings; none turns the log off. */
  predictionLog?: { store: BlobStore; config: PredictionLogConfig };
  log: Logger;
}

function locateLocal(uri: string): PackageFiles | undefined {
  return localArtifactLocator(uri);
}

async function registryOf(source: RegistrySource): Promise<{
  registry?: RegistryStore;
  artifactUri?: (v: ModelVersion) => Promise<string>;
  locate: (uri: string) => PackageFiles | undefined;
}> {
  if (source.kind === 'none') return { locate: locateLocal };
  if (source.kind === 'store') {
    const [{ REGISTRY_MIGRATIONS }, { SqlRegistryStore }, { SqlLoggedModelStore }] = await Promise.all([
      import('../../registry/sql/registry-migrations.ts'),
      import('../../registry/sql/sql-registry-store.ts'),
      import('../../tracking/sql/sql-logged-model-store.ts'),
    ]);
    await source.metadata.migrate(REGISTRY_MIGRATIONS);
    const registry = new SqlRegistryStore(source.metadata);
    const stores = {
      registry,
      tracking: source.tracking,
      loggedModels: new SqlLoggedModelStore(source.metadata, source.tracking),
    };
    return {
      registry,
      artifactUri: async (v) => (await artifactUriOf(stores, v.source)) ?? v.source,
      locate: locateLocal,
    };
  }
  const [{ HttpRegistryStore }, { HttpTrackingStore }] = await Promise.all([
    import('../../registry/http/http-registry-store.ts'),
    import('../../tracking/http/http-tracking-store.ts'),
  ]);
  const client = {
    uri: source.uri,
    ...(source.token ? { token: source.token } : {}),
    ...(source.username !== undefined ? { username: source.username, password: source.password ?? '' } : {}),
  };
  const registry = new HttpRegistryStore(client);
  const tracking = new HttpTrackingStore(client);
  const url = new URL(source.uri);
  const user = source.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = source.password ?? decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const authorization = source.token
    ? `Bearer ${source.token}`
    : user !== undefined
      ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
      : undefined;
  const target = { baseUrl: url.href.replace(/\/+$/, ''), ...(authorization ? { authorization } : {}) };
  return {
    registry,
    artifactUri: async (v) => {
      const uri = await registry.getModelVersionDownloadUri(v.name, v.version);
      const runs = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(uri);
      if (!runs) return uri;
      const run = await tracking.getRun(runs[1] as string);
      const path = (runs[2] ?? '').replace(/^\/+|\/+$/g, '');
      return path === '' ? run.info.artifact_uri : `${run.info.artifact_uri.replace(/\/+$/, '')}/${path}`;
    },
    locate: (uri) => proxyArtifactFiles(uri, target) ?? locateLocal(uri),
  };
}

/**
 * The default wiring of the inference service: a resolver over the given registry (with the
 * package cache), Prometheus metrics, and the prediction log.
 */
export async function createServingService(wiring: ServingWiring): Promise<InferenceService> {
  const { registry, artifactUri, locate } = await registryOf(wiring.registry);
  const resolver = new PackageResolver({
    ...(registry ? { registry } : {}),
    ...(artifactUri ? { artifactUri } : {}),
    locate,
    cache: new PackageCache(wiring.cacheDir, wiring.log),
    cwd: wiring.cwd,
    log: wiring.log,
  });
  const metrics = new ServingMetrics();
  const predictionLog = wiring.predictionLog
    ? new PredictionLogWriter(wiring.predictionLog.store, wiring.predictionLog.config, metrics, wiring.log)
    : undefined;
  return new InferenceService({
    resolver,
    metrics,
    ...(predictionLog ? { predictionLog } : {}),
    log: wiring.log,
  });
}
