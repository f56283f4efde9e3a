import type { Readable } from 'node:stream';

/** What to store: bytes in memory, a local file, or a stream (give its size if known). */
export type BlobSource = { bytes: Uint8Array } | { file: string } | { stream: Readable; size?: number };

export interface BlobInfo {
  key: string;
  size: number;
}

/**
 * An object store addressed by keys such as `sha256/ab/cdef…`. Keys are relative, use `/`, and
 * never contain `..`, backslashes or NUL. Writes are atomic: a reader sees nothing or the whole
 * object, never part of one, even if the writer is killed.
 */
export interface BlobStore {
  /** Where the store lives, for messages (no credentials). */
  readonly location: string;
  has(key: string): Promise<boolean>;
  /** Which of `keys` exist, in as few round trips as the backend allows. */
  hasMany(keys: readonly string[]): Promise<Set<string>>;
  /** Size of the object, or undefined when it does not exist. */
  stat(key: string): Promise<BlobInfo | undefined>;
  /** The object's content as a stream; NOT_FOUND when it does not exist. */
  get(key: string): Promise<Readable>;
  put(key: string, source: BlobSource): Promise<void>;
  /**
   * Stores many objects with the same guarantees as `put`, where batching is much faster (a local
   * directory makes one batch durable with one file-system sync instead of an fsync per object).
   * Either every object becomes visible or, on failure, none that was not there before.
   */
  putMany?(
    items: readonly { key: string; source: { file: string } | { bytes: Uint8Array } }[],
  ): Promise<void>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix?: string): AsyncIterable<BlobInfo>;
  /** Removes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** A local path for the object, when the store is a directory on this machine. */
  pathOf?(key: string): string;
  close?(): Promise<void>;
}
