import type { BlobStore } from '../blobs/blob-store.ts';
import type { LinkMode } from '../kernel/config.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { Logger } from '../kernel/logging.ts';
import type { ProgressFn } from '../kernel/progress.ts';
import type { HashPool } from './hash-pool.ts';
import type { ObjectCache } from './object-cache.ts';
import type { Pointer } from './pointer.ts';
import type { ProfileStore } from './profile/profile-store.ts';
import type { StatCache } from './stat-cache.ts';

/** An opened remote: its name, its store, and how many transfers to keep in flight. */
export interface OpenedRemote {
  name: string;
  store: BlobStore;
  jobs: number;
}

/** Everything the data-versioning operations need, wired by the workspace. */
export interface DataContext {
  root: string;
  cache: ObjectCache;
  /** Hashes of workspace files by signature. */
  statCache: StatCache;
  /** Signatures of cache objects whose content was verified. */
  cacheStats: StatCache;
  hashPool: HashPool;
  /** Profiles of CSV / Parquet content by hash. */
  profiles: ProfileStore;
  /** Profile CSV / Parquet files when they are added. */
  profileOnAdd: boolean;
  /** DuckDB's memory limit for a profile and where it spills: what bounds profiling's memory. */
  profileLimits?: { memoryLimitMiB: number; tempDirectory: string };
  linkModes: readonly LinkMode[];
  jobs: number;
  defaultRemote?: string;
  /**
   * Paths tracked outside pointer files — pipeline outputs recorded in cairn.lock — with what
   * they should contain. Status, checkout, push, pull and gc treat them like pointers.
   */
  pipelineOutputs?: () => Promise<ReadonlyMap<string, Pointer>>;
  /**
   * Reads the outputs a lock file records from its text: how `gc --all-commits` keeps the
   * pipeline outputs of every commit. `file` is the lock file's name (`cairn.lock`).
   */
  lockedOutputs?: { file: string; parse(text: string): ReadonlyMap<string, Pointer> };
  /** The pipeline's run cache in the local cache directory: gc keeps what its entries restore. */
  runCache?: RunCacheIndex;
  /** The same run cache on a remote (its `runs/` entries), for `gc --remote`. */
  remoteRunCache?(store: BlobStore): RunCacheIndex;
  /** Opens the named remote, or the default one when no name is given. */
  openRemote(name?: string): Promise<OpenedRemote>;
  log: Logger;
}

/** One run-cache entry as gc sees it: the outputs it restores, and when its stage ran. */
export interface RunCacheRecord {
  key: Digest;
  /** The stage the entry restores. */
  stage?: string;
  /** When the entry was made (ms since the epoch); undefined when unknown. */
  created?: number;
  /** What it restores; undefined when the entry cannot be read. */
  outputs?: Pointer[];
}

/**
 * The run cache's entries, owned by the pipeline (`pipeline/run/run-cache.ts`), as the data
 * operations need them: gc counts them as references and prunes them on request.
 */
export interface RunCacheIndex {
  list(): Promise<RunCacheRecord[]>;
  remove(key: Digest): Promise<void>;
}

export interface OperationOptions {
  onProgress?: ProgressFn;
}
