import { CairnError, isCairnError } from '../kernel/errors.ts';
import type { ModelLineage } from '../registry/lineage/model-lineage.ts';
import type { RegistryStore } from '../registry/registry-store.ts';
import type { CreateModelVersionOptions, ModelVersion } from '../registry/registry-types.ts';
import type { ArtifactProxy } from '../sdk/artifact-upload.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';
import type { CliSession } from './session.ts';

/** The options every registry command takes. */
export interface TargetOpts {
  trackingUri?: string;
  token?: string;
  json?: boolean;
}

/** The registry a command works on, and what lives beside it. */
export interface OpenedRegistry {
  registry: RegistryStore;
  lineage(name: string, version: string, verify: boolean): Promise<ModelLineage>;
  where: string;
  /**
   * Creates a model version with Cairn's lineage tags and package hash: through the registrar
   * for a store opened here, by the server itself over HTTP.
   */
  createVersion(request: CreateModelVersionOptions): Promise<ModelVersion>;
  /** The runs of the same store or server. */
  tracking: TrackingStore;
  /** What to hand the SDK's Tracking.connect to reach the same store (no uri: the workspace's). */
  connect: { uri?: string; token?: string };
  /** A server's artifact proxy, to read files a version points at. */
  proxy?: ArtifactProxy;
}

/** Opens the registry the options and environment name, runs `fn`, and closes it. */
export async function withRegistry<T>(
  s: CliSession,
  opts: TargetOpts,
  fn: (r: OpenedRegistry) => Promise<T>,
): Promise<T> {
  const env = s.io.env;
  const uri = opts.trackingUri || env.CAIRN_TRACKING_URI || env.MLFLOW_TRACKING_URI || undefined;
  if (uri && /^https?:\/\//i.test(uri)) {
    const { HttpRegistryStore } = await import('../registry/http/http-registry-store.ts');
    const { fetchModelLineage } = await import('../registry/http/http-model-lineage.ts');
    const { HttpTrackingStore } = await import('../tracking/http/http-tracking-store.ts');
    const { artifactProxyFor } = await import('../sdk/artifact-upload.ts');
    const token = opts.token || env.CAIRN_TRACKING_TOKEN || env.MLFLOW_TRACKING_TOKEN || undefined;
    const basic =
      !token && env.MLFLOW_TRACKING_USERNAME
        ? { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' }
        : {};
    const config = { uri, ...(token ? { token } : {}), ...basic };
    const registry = new HttpRegistryStore(config);
    const proxy = artifactProxyFor(config);
    try {
      return await fn({
        registry,
        lineage: (name, version, verify) => fetchModelLineage(config, name, version, { verify }),
        where: uri,
        createVersion: (request) => registry.createModelVersion(request),
        tracking: new HttpTrackingStore(config),
        connect: { uri, ...(token ? { token } : {}) },
        ...(proxy ? { proxy } : {}),
      });
    } catch (err) {
      if (isCairnError(err) && err.code === 'UNAUTHENTICATED' && !err.hint)
        throw new CairnError(err.code, err.message, {
          cause: err,
          hint: 'set CAIRN_TRACKING_TOKEN (or MLFLOW_TRACKING_TOKEN) to a token of the server, or pass --token',
        });
      throw err;
    }
  }
  const { localRegistry } = await import('../registry/lineage/local-registry.ts');
  if (uri && /^(sqlite|postgres(ql)?):/i.test(uri)) {
    const { resolveTrackingTarget } = await import('../sdk/tracking-uri.ts');
    const { openMetadataStore } = await import('../store/open-metadata-store.ts');
    const { SqlTrackingStore } = await import('../tracking/sql/sql-tracking-store.ts');
    const target = await resolveTrackingTarget({ uri, env, cwd: s.cwd });
    const metadata = await openMetadataStore(uri);
    try {
      const tracking = new SqlTrackingStore(metadata, { defaultArtifactRoot: target.defaultArtifactRoot });
      const local = await localRegistry(metadata, tracking);
      return await fn({
        ...local,
        where: uri,
        createVersion: (request) => local.versions.create(request),
        tracking,
        connect: { uri },
      });
    } finally {
      await metadata.close();
    }
  }
  const ws = await s.workspace();
  const tracking = await ws.tracking();
  const local = await localRegistry(ws.metadata, tracking);
  return fn({
    ...local,
    where: ws.config.metadata.uri,
    createVersion: (request) => local.versions.create(request),
    tracking,
    connect: {},
  });
}
