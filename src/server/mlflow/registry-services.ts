import type { ArtifactLocator } from '../../registry/registration/artifact-locator.ts';
import { VersionRegistrar } from '../../registry/registration/version-registrar.ts';
import { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import type { LoggedModelStore } from '../../tracking/logged-model-store.ts';
import {
  type StorageLocationPolicy,
  storagePolicyFor,
  validateStorageLocation,
} from '../artifacts/artifact-location.ts';
import { artifactRootOf } from '../artifacts/artifact-root.ts';
import type { ServerDeps } from '../create-server.ts';
import { loggedModelsOf } from './logged-models-of.ts';
import { serverArtifactLocator } from './registry-artifacts.ts';

/** What the registry and logged-model routes need beyond ServerDeps. */
export interface RegistryServiceOptions {
  /** Default: a SqlLoggedModelStore on `deps.metadata` beside `deps.tracking`. */
  loggedModels?: LoggedModelStore;
  /** Which sources a client may give. Default: the server's (local files only under its artifact root). */
  sourcePolicy?: StorageLocationPolicy;
  /** Default: the server's artifact store, read as the artifact proxy stores it. */
  locate?: ArtifactLocator;
  /** See ServerOptions.registrationWaitMs. */
  registrationWaitMs?: number;
}

export interface RegistryServices {
  loggedModels: LoggedModelStore;
  registrar: VersionRegistrar;
  locate: ArtifactLocator;
  /**
   * A server using these services is ready: the first takes up versions left
   * PENDING_REGISTRATION (a server that stopped or died while hashing left them), now and every
   * few minutes.
   */
  attach(): void;
  /**
   * A server using them closed; when the last one does, the sweeps and the hashing in flight stop
   * (unfinished versions stay pending) and the next server on these deps gets new services.
   */
  detach(): Promise<void>;
}

/** How often a running server looks for versions another server left pending. */
const SWEEP_INTERVAL_MS = 5 * 60_000;

const byDeps = new WeakMap<ServerDeps, RegistryServices>();

/**
 * The registrar and logged-model store for one server, made once per ServerDeps so both MLflow
 * prefixes (and the /api/v1 routes) share them. ServerDeps may carry `loggedModels` itself.
 */
export function registryServices(deps: ServerDeps, options: RegistryServiceOptions = {}): RegistryServices {
  const known = byDeps.get(deps);
  if (known) return known;
  const loggedModels = options.loggedModels ?? loggedModelsOf(deps);
  const root = artifactRootOf(deps);
  const policy = options.sourcePolicy ?? storagePolicyFor(root.uri);
  const locate = options.locate ?? serverArtifactLocator(root, new ArtifactFiles(deps.artifacts));
  const registrar = new VersionRegistrar({
    registry: deps.registry,
    tracking: deps.tracking,
    loggedModels,
    locate,
    checkUri: (uri, field) => validateStorageLocation(uri, field, policy),
    ...(options.registrationWaitMs !== undefined ? { registrationWaitMs: options.registrationWaitMs } : {}),
    onError: (err, version) =>
      deps.log.warn({ err, ...version }, 'could not finish the registration of a model version'),
  });
  let sweeper: NodeJS.Timeout | undefined;
  let users = 0;
  const sweep = () =>
    void registrar
      .resumePending()
      .catch((err: unknown) => deps.log.warn({ err }, 'could not look for pending model versions'));
  const services: RegistryServices = {
    loggedModels,
    registrar,
    locate,
    attach() {
      users++;
      if (sweeper) return;
      sweep();
      sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
      sweeper.unref();
    },
    async detach() {
      users = Math.max(0, users - 1);
      if (users > 0) return;
      clearInterval(sweeper);
      sweeper = undefined;
      if (byDeps.get(deps) === services) byDeps.delete(deps);
      await registrar.stop();
    },
  };
  byDeps.set(deps, services);
  return services;
}
