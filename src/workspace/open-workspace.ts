import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBlobStore, parseBlobUrl } from '../blobs/open-blob-store.ts';
import type { DataContext, OpenedRemote } from '../data/data-context.ts';
import { HashPool } from '../data/hash-pool.ts';
import { ObjectCache } from '../data/object-cache.ts';
import { PROFILE_MIGRATIONS, ProfileStore } from '../data/profile/profile-store.ts';
import { STAT_CACHE_MIGRATIONS, StatCache } from '../data/stat-cache.ts';
import { type CairnConfig, WORKSPACE_DIR } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';
import type { Logger } from '../kernel/logging.ts';
import { cachedOutputs, LOCK_FILE, parseLockFile, readLockFile } from '../pipeline/lock/lock-file.ts';
import { LocalRunCache, RemoteRunCache } from '../pipeline/run/run-cache.ts';
import type { MetadataStore, Migration } from '../store/metadata-store.ts';
import { openMetadataStore } from '../store/open-metadata-store.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';

/** Where run artifacts of the workspace's tracking store live, inside `.cairn/`. */
export const ARTIFACTS_DIR = 'artifacts';

/** Every table's migrations, from the modules that own them. */
export const WORKSPACE_MIGRATIONS: readonly Migration[] = [...STAT_CACHE_MIGRATIONS, ...PROFILE_MIGRATIONS];

export interface Workspace {
  root: string;
  config: Readonly<CairnConfig>;
  metadata: MetadataStore;
  data: DataContext;
  /**
   * Experiment tracking in the metadata store, run artifacts under `.cairn/artifacts/`. Opened on
   * first use: commands that do not track pay nothing for it.
   */
  tracking(): Promise<TrackingStore>;
  close(): Promise<void>;
}

export interface OpenWorkspaceOptions {
  log: Logger;
}

/**
 * The default wiring: the metadata store the config names (SQLite in `.cairn/` unless told
 * otherwise), the local cache, the hash workers, and remotes opened on demand.
 */
export async function openWorkspace(
  root: string,
  config: Readonly<CairnConfig>,
  options: OpenWorkspaceOptions,
): Promise<Workspace> {
  const metadata = await openMetadataStore(config.metadata.uri, WORKSPACE_MIGRATIONS);
  const cache = new ObjectCache({ root: config.cache.dir, fsync: config.cache.fsync });
  const jobs = config.core.jobs ?? availableParallelism();
  const host = hostname();
  const data: DataContext = {
    root,
    cache,
    statCache: new StatCache(metadata, `${host}:${root}`),
    cacheStats: new StatCache(metadata, `${host}:${cache.root}#objects`),
    hashPool: new HashPool({ cacheRoot: cache.root, fsync: cache.fsync, jobs }),
    profiles: new ProfileStore(metadata),
    profileOnAdd: config.cache.profile,
    profileLimits: {
      memoryLimitMiB: config.cache.profile_memory_mib,
      tempDirectory: join(root, WORKSPACE_DIR, 'tmp'),
    },
    linkModes: config.cache.link,
    jobs,
    ...(config.core.remote !== undefined ? { defaultRemote: config.core.remote } : {}),
    pipelineOutputs: memoise(async () => cachedOutputs(await readLockFile(root))),
    lockedOutputs: { file: LOCK_FILE, parse: (text) => cachedOutputs(parseLockFile(text)) },
    runCache: new LocalRunCache(cache.root),
    remoteRunCache: (store) => new RemoteRunCache(store),
    openRemote: (name) => openNamedRemote(config, name),
    log: options.log,
  };
  const tracking = memoise(async (): Promise<TrackingStore> => {
    const { SqlTrackingStore } = await import('../tracking/sql/sql-tracking-store.ts');
    return new SqlTrackingStore(metadata, {
      defaultArtifactRoot: pathToFileURL(join(root, WORKSPACE_DIR, ARTIFACTS_DIR)).href,
    });
  });
  return { root, config, metadata, data, tracking, close: () => metadata.close() };
}

function memoise<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= fn();
    return value;
  };
}

async function openNamedRemote(
  config: Readonly<CairnConfig>,
  name: string | undefined,
): Promise<OpenedRemote> {
  const names = Object.keys(config.remotes);
  const chosen = name ?? config.core.remote ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined)
    throw errors.precondition(names.length === 0 ? 'no remote is configured' : 'no default remote is set', {
      hint:
        names.length === 0
          ? 'add one with: cairn remote add origin <url> --default'
          : `pass -r <name> (one of ${names.join(', ')}) or run: cairn remote default <name>`,
    });
  const remote = config.remotes[chosen];
  if (!remote)
    throw errors.notFound(`remote "${chosen}" is not configured`, {
      hint:
        names.length > 0
          ? `configured remotes: ${names.join(', ')}`
          : 'add it with: cairn remote add <name> <url>',
    });
  const store = await openBlobStore(remote);
  const jobs = remote.jobs ?? (parseBlobUrl(remote.url).kind === 's3' ? 16 : 8);
  return { name: chosen, store, jobs };
}
