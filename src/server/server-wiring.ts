import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BlobStore } from '../blobs/blob-store.ts';
import { openBlobStore, parseBlobUrl } from '../blobs/open-blob-store.ts';
import { AddressPolicy } from '../ci/webhooks/address-policy.ts';
import { SqlWebhookStore } from '../ci/webhooks/sql/sql-webhook-store.ts';
import { WEBHOOK_MIGRATIONS } from '../ci/webhooks/sql/webhook-migrations.ts';
import { type WebhookDeliveryConfig, WebhookService } from '../ci/webhooks/webhook-service.ts';
import type { RemoteConfig } from '../kernel/config.ts';
import type { Logger } from '../kernel/logging.ts';
import { withPromotionEvents } from '../registry/events/evented-promotion-store.ts';
import { withRegistryEvents } from '../registry/events/evented-registry-store.ts';
import { RegistryEvents } from '../registry/events/registry-events.ts';
import type { GatePolicy } from '../registry/promotion/promotion-types.ts';
import { PROMOTION_MIGRATIONS } from '../registry/promotion/sql/promotion-migrations.ts';
import { SqlPromotionStore } from '../registry/promotion/sql/sql-promotion-store.ts';
import { REGISTRY_MIGRATIONS } from '../registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../registry/sql/sql-registry-store.ts';
import { AuthStore } from '../security/auth-store.ts';
import { SECURITY_MIGRATIONS } from '../security/security-migrations.ts';
import { SessionStore } from '../security/session-store.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { openMetadataStore } from '../store/open-metadata-store.ts';
import { LOGGED_MODEL_MIGRATIONS } from '../tracking/sql/logged-model-migrations.ts';
import { SqlLoggedModelStore } from '../tracking/sql/sql-logged-model-store.ts';
import { SqlTrackingStore } from '../tracking/sql/sql-tracking-store.ts';
import { TRACKING_MIGRATIONS } from '../tracking/sql/tracking-migrations.ts';
import { TRACKING_PURGE_MIGRATIONS } from '../tracking/sql/tracking-purge.ts';
import { modelsRoutes } from './api/models-routes.ts';
import { promotionRoutes } from './api/promotion-routes.ts';
import { trackingRoutes } from './api/tracking-routes.ts';
import { webhookDeliveryRoutes } from './api/webhook-delivery-routes.ts';
import { artifactProxyRoutes } from './artifacts/artifact-proxy-routes.ts';
import { authApiRoutes } from './auth/auth-routes.ts';
import { sessionRoutes } from './auth/session-routes.ts';
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
import { webhookRoutes } from './mlflow/webhook-routes.ts';
import { uiRoutes } from './ui/ui-routes.ts';

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
  webhookRoutes,
];

/** Route modules mounted under /api/v1 (Cairn's own API). `authApiRoutes` joins them when auth is on. */
export const API_ROUTE_MODULES: RouteModule[] = [
  modelsRoutes,
  promotionRoutes,
  trackingRoutes,
  sessionRoutes,
  webhookDeliveryRoutes,
];

/**
 * Route modules that register full paths themselves (the artifact proxy, MLflow 3's
 * server-info, /health and /version, the web UI at `/`).
 */
export const ROOT_ROUTE_MODULES: RouteModule[] = [
  artifactProxyRoutes,
  serverInfoRoutes,
  mlflowHealthRoutes,
  uiRoutes(),
];

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
  ...PROMOTION_MIGRATIONS,
  ...SECURITY_MIGRATIONS,
  ...WEBHOOK_MIGRATIONS,
];

/** S3 settings for an `s3://` artifact root (endpoint, region, credentials), as for a remote. */
export type ArtifactS3Settings = Omit<RemoteConfig, 'url' | 'jobs'>;

export interface ServerBackendsConfig {
  /** `sqlite:///abs/path.db` or `postgresql://…`. */
  storeUri: string;
  /** `file:///abs/dir` (or `/abs/dir`) or `s3://bucket/prefix`. */
  artifactsUri: string;
  s3?: ArtifactS3Settings;
  /** How webhook deliveries go out (default: public addresses only, https only). */
  webhooks?: Omit<WebhookDeliveryConfig, 'policy'> & { allowedNetworks?: string[] };
  /** The gated aliases the registry enforces (default: none). */
  gatePolicy?: GatePolicy;
  log: Logger;
}

export interface ServerBackends {
  deps: ServerDeps;
  /** Users and tokens, in the same metadata store. */
  auth: AuthStore;
  /** The web UI's sessions, in the same metadata store. */
  sessions: SessionStore;
  /** The registry's events (alias moves, new versions…), for in-process subscribers such as deploy. */
  events: RegistryEvents;
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
  const events = new RegistryEvents(config.log);
  const { allowedNetworks, ...delivery } = config.webhooks ?? {};
  const webhooks = new WebhookService(
    new SqlWebhookStore(metadata),
    { ...delivery, policy: new AddressPolicy(allowedNetworks) },
    config.log,
  );
  webhooks.attach(events);
  const deps: ServerDeps = {
    tracking,
    loggedModels: new SqlLoggedModelStore(metadata, tracking),
    registry: withRegistryEvents(new SqlRegistryStore(metadata), events),
    webhooks,
    promotion: withPromotionEvents(new SqlPromotionStore(metadata, config.gatePolicy), events),
    artifacts,
    artifactsUri,
    metadata,
    log: config.log,
  };
  return {
    deps,
    auth: new AuthStore(metadata),
    sessions: new SessionStore(metadata),
    events,
    close: async () => {
      await webhooks.close();
      await artifacts.close?.();
      await metadata.close();
    },
  };
}
