import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBlobStore, parseBlobUrl } from '../blobs/open-blob-store.ts';
import type { DataContext, OpenedRemote } from '../data/data-context.ts';
import { HashPool } from '../data/hash-pool.ts';
import { ObjectCache } from '../data/object-cache.ts';
import { ProfileStore } from '../data/profile/profile-store.ts';
import { STAT_CACHE_MIGRATIONS, StatCache } from '../data/stat-cache.ts';
import { connectTemporal } from '../engine/temporal/temporal-connection.ts';
import type { TemporalTarget } from '../engine/temporal/temporal-target.ts';
import { bundleWorkflows, createTemporalWorkers } from '../engine/temporal/temporal-worker.ts';
import { loadConfig, type RemoteConfig, WORKSPACE_DIR } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';
import type { Logger } from '../kernel/logging.ts';
import {
  cleanScratch,
  stageActivities,
  type WorkerStageEvent,
} from '../pipeline/executors/temporal/stage-activities.ts';
import { type RemoteLocation, WORKFLOW_QUEUE } from '../pipeline/executors/temporal/stage-task.ts';
import { openMetadataStore } from '../store/open-metadata-store.ts';
import { WORKSPACE_MIGRATIONS } from './open-workspace.ts';
import { lockWorkspace } from './workspace-lock.ts';

export interface CairnWorkerOptions {
  target: TemporalTarget;
  /** The task queue of the stages this worker runs. */
  queue: string;
  /** Stages running at once at most. */
  concurrency: number;
  /** The worker's own directory: its object cache, database and scratch workspaces. */
  dir: string;
  identity: string;
  /** The environment stage commands start from; CAIRN_* settings in it configure the worker. */
  env: NodeJS.ProcessEnv;
  /** Settings (credentials above all) laid over the remote each task names: from CAIRN_S3_*. */
  remoteSettings: Partial<RemoteConfig>;
  log: Logger;
  apiKey?: string;
  /** Stops the worker: running stages are stopped and go back to their queue. */
  signal: AbortSignal;
  onReady?(info: { scratchLeft: number }): void;
  onStage?(event: WorkerStageEvent): void;
}

/**
 * `cairn worker`: serves Cairn's workflows and the stages of one task queue until `signal` is
 * aborted. Holds its directory's lock, so two workers never share a scratch area; removes what a
 * crashed worker left there first.
 */
export async function runCairnWorker(options: CairnWorkerOptions): Promise<void> {
  const { dir } = options;
  await mkdir(join(dir, WORKSPACE_DIR), { recursive: true });
  const lock = await lockWorkspace(dir, { purpose: `cairn worker ${options.identity}` });
  const remotes = new Map<string, Promise<OpenedRemote>>();
  let metadata: Awaited<ReturnType<typeof openMetadataStore>> | undefined;
  try {
    const config = await loadConfig({ root: dir, env: options.env });
    metadata = await openMetadataStore(config.metadata.uri, WORKSPACE_MIGRATIONS);
    const cache = new ObjectCache({ root: config.cache.dir, fsync: config.cache.fsync });
    const jobs = config.core.jobs ?? availableParallelism();
    const base: DataContext = {
      root: dir,
      cache,
      statCache: new StatCache(metadata, 'worker'),
      cacheStats: new StatCache(metadata, `worker:${cache.root}#objects`),
      hashPool: new HashPool({ cacheRoot: cache.root, fsync: cache.fsync, jobs }),
      profiles: new ProfileStore(metadata),
      profileOnAdd: false,
      // Scratch workspaces get copies: a command that writes to an input must not reach the cache.
      linkModes: ['reflink', 'copy'],
      jobs,
      openRemote: () => Promise.reject(errors.internal('a worker opens only the remotes its tasks name')),
      log: options.log,
    };
    const scratchRoot = join(dir, 'scratch');
    const scratchLeft = await cleanScratch(scratchRoot);
    const connection = await connectTemporal(options.target, {
      log: options.log,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    });
    try {
      const bundle = await bundleWorkflows(workflowsModule(), options.log);
      const workers = await createTemporalWorkers({
        connection: await connection.native(),
        namespace: options.target.namespace,
        identity: options.identity,
        workflows: { taskQueue: WORKFLOW_QUEUE, bundle },
        activities: [
          {
            taskQueue: options.queue,
            concurrency: options.concurrency,
            activities: stageActivities({
              identity: options.identity,
              scratchRoot,
              env: options.env,
              remote: (location) => openRemote(remotes, location, options.remoteSettings),
              scratch: async (root) => {
                // Hashes of scratch files are worth nothing once the stage ends: kept in memory.
                const stats = await openMetadataStore('sqlite://:memory:', STAT_CACHE_MIGRATIONS);
                return {
                  ctx: { ...base, root, statCache: new StatCache(stats, 'scratch') },
                  close: () => stats.close(),
                };
              },
              ...(options.onStage ? { onStage: options.onStage } : {}),
            }),
          },
        ],
      });
      const running = workers.run();
      if (options.signal.aborted) workers.shutdown();
      else options.signal.addEventListener('abort', () => workers.shutdown(), { once: true });
      options.onReady?.({ scratchLeft });
      await running;
    } finally {
      await connection.close().catch(() => undefined);
    }
  } finally {
    for (const r of remotes.values()) await (await r.catch(() => undefined))?.store.close?.();
    await metadata?.close();
    lock.release();
  }
}

/** Every workflow Cairn runs, as one module: TypeScript in a clone, compiled JavaScript when installed. */
function workflowsModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./cairn-workflows${ext}`, import.meta.url));
}

/** Opens a remote a task names once per worker, with this worker's credentials laid over it. */
function openRemote(
  opened: Map<string, Promise<OpenedRemote>>,
  location: RemoteLocation,
  settings: Partial<RemoteConfig>,
): Promise<OpenedRemote> {
  const key = JSON.stringify(location);
  let remote = opened.get(key);
  if (!remote) {
    const kind = parseBlobUrl(location.url).kind;
    const config: RemoteConfig = kind === 's3' ? { ...location, ...settings } : { url: location.url };
    remote = openBlobStore(config).then((store) => ({
      name: location.url,
      store,
      jobs: config.jobs ?? (kind === 's3' ? 16 : 8),
    }));
    remote.catch(() => opened.delete(key));
    opened.set(key, remote);
  }
  return remote;
}
