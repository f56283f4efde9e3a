import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BlobStore } from '../blobs/blob-store.ts';
import { openBlobStore, parseBlobUrl } from '../blobs/open-blob-store.ts';
import type { RemoteConfig } from '../kernel/config.ts';
import type { Logger } from '../kernel/logging.ts';
import { REGISTRY_MIGRATIONS } from '../registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../registry/sql/sql-registry-store.ts';
import { AuthStore } from '../security/auth-store.ts';
import { SECURITY_MIGRATIONS } from '../security/security-migrations.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { openMetadataStore } from '../store/open-metadata-store.ts';
import { LOGGED_MODEL_MIGRATIONS } from '../tracking/sql/logged-model-migrations.ts';
import { SqlLoggedModelStore } from '../tracking/sql/sql-logged-model-store.ts';
import { SqlTrackingStore } from '../tracking/sql/sql-tracking-store.ts';
import { TRACKING_MIGRATIONS } from '../tracking/sql/tracking-migrations.ts';
import { TRACKING_PURGE_MIGRATIONS } from '../tracking/sql/tracking-purge.ts';
import { modelsRoutes } from './api/models-routes.ts';
import { artifactProxyRoutes } from './artifacts/artifact-proxy-routes.ts';
import { authApiRoutes } from './auth/auth-routes.ts';
import type { RouteModule, ServerDeps } from './create-server.ts';
import { artifactListRoutes } from './mlflow/artifact-list-routes.ts';
import { experimentRoutes } from './mlflow/experiment-routes.ts';
import { loggedModelRoutes } from './mlflow/logged-model-routes.ts';
import { metricRoutes } from './mlflow/metric-routes.ts';
import { mlflowHealthRoutes } from './mlflow/mlflow-health-routes.ts';
import { registryModelRoutes } from './mlflow/registry-model-routes.ts';
import { registryVersionRoutes } from './mlflow/registry-version-routes.ts';
import { runLoggingRoutes } from './mlflow/run-logging-routes.ts';
import { runRoutes } from './mlflow/run-routes.ts';
import { serverInfoRoutes } from './mlflow/server-info-routes.ts';

/** Route modules mounted under /api/2.0/mlflow and /ajax-api/2.0/mlflow. Add new MLflow areas here. */
export const MLFLOW_ROUTE_MODULES: RouteModule[] = [
  experimentRoutes,
  runRoutes,
  runLoggingRoutes,
  metricRoutes,
  artifactListRoutes,
  registryModelRoutes,
  registryVersionRoutes,
  loggedModelRoutes,
];

/** Route modules mounted under /api/v1 (Cairn's own API). `authApiRoutes` joins them when auth is on. */
export const API_ROUTE_MODULES: RouteModule[] = [modelsRoutes];

/** Route modules that register full paths themselves (the artifact proxy, MLflow 3's server-info, /health and /version). */
export const ROOT_ROUTE_MODULES: RouteModule[] = [artifactProxyRoutes, serverInfoRoutes, mlflowHealthRoutes];

/** Every module the server mounts; the auth API only when `auth` is given. */
export function serverRouteModules(auth?: AuthStore): {
  mlflow: RouteModule[];
  api: RouteModule[];
  root: RouteModule[];
} {
  return {
    mlflow: [...MLFLOW_ROUTE_MODULES],
    api: [...API_ROUTE_MODULES, ...(auth ? [authApiRoutes(auth)] : [])],
    root: [...ROOT_ROUTE_MODULES],
  };
}

/** Every table the server reads: tracking, logged models, registry, users and tokens. */
export const SERVER_MIGRATIONS = [
  ...TRACKING_MIGRATIONS,
  ...LOGGED_MODEL_MIGRATIONS,
  ...TRACKING_PURGE_MIGRATIONS,
  ...REGISTRY_MIGRATIONS,
  ...SECURITY_MIGRATIONS,
];

/** S3 settings for an `s3://` artifact root (endpoint, region, credentials), as for a remote. */
export type ArtifactS3Settings = Omit<RemoteConfig, 'url' | 'jobs'>;

export interface ServerBackendsConfig {
  /** `sqlite:///abs/path.db` or `postgresql://…`. */
  storeUri: string;
  /** `file:///abs/dir` (or `/abs/dir`) or `s3://bucket/prefix`. */
  artifactsUri: string;
  s3?: ArtifactS3Settings;
  log: Logger;
}

export interface ServerBackends {
  deps: ServerDeps;
  /** Users and tokens, in the same metadata store. */
  auth: AuthStore;
  close(): Promise<void>;
}

/**
 * Opens what `cairn server` serves: the metadata store with the tracking, registry and security
 * tables; the tracking store, whose new experiments keep artifacts at `mlflow-artifacts:/<id>`
 * (clients go through the artifact proxy, as with `mlflow server --serve-artifacts`); the
 * registry store; and the artifact blob store. Nothing else is kept in the process, so several
 * servers can share one database and one bucket.
 */
export async function openServerBackends(config: ServerBackendsConfig): Promise<ServerBackends> {
  const artifactsUri = isAbsolute(config.artifactsUri)
    ? pathToFileURL(config.artifactsUri).href
    : config.artifactsUri.replace(/\/+$/, '');
  parseBlobUrl(artifactsUri);
  const metadata: MetadataStore = await openMetadataStore(config.storeUri, SERVER_MIGRATIONS);
  let artifacts: BlobStore;
  try {
    artifacts = await openBlobStore({ ...config.s3, url: artifactsUri });
  } catch (err) {
    await metadata.close();
    throw err;
  }
  const tracking = new SqlTrackingStore(metadata, { defaultArtifactRoot: 'mlflow-artifacts:' });
  const deps: ServerDeps = {
    tracking,
    loggedModels: new SqlLoggedModelStore(metadata, tracking),
    registry: new SqlRegistryStore(metadata),
    artifacts,
    artifactsUri,
    metadata,
    log: config.log,
  };
  return {
    deps,
    auth: new AuthStore(metadata),
    close: async () => {
      await artifacts.close?.();
      await metadata.close();
    },
  };
}
