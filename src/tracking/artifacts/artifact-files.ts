import { readdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.ts';
import { CairnError, errors, isCairnError } from '../../kernel/errors.ts';
import { artifactKey, artifactPrefix, pathSegment } from './artifact-layout.ts';

/** One entry of a directory listing, as MLflow's FileInfo (`file_size` only for files). */
export interface ArtifactEntry {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * Artifacts as files and directories over a BlobStore: a file is an object whose key is its
 * path (see artifactKey), a directory is a key prefix. Paths are given as segments already
 * checked by parseArtifactPath, relative to the artifact root.
 */
export class ArtifactFiles {
  readonly #blobs: BlobStore;

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  /**
   * The direct children of a directory, sorted by name; names relative to `dir`. A path that
   * is a file or does not exist has no children (MLflow answers both with an empty listing).
   */
  async list(dir: readonly string[]): Promise<ArtifactEntry[]> {
    const prefix = artifactPrefix(dir);
    const files = new Map<string, number>();
    const dirs = new Set<string>();
    await local(dir, async () => {
      if (dir.length > 0 && (await this.#blobs.stat(artifactKey(dir)))) return;
      for await (const blob of this.#blobs.list(prefix)) {
        const rest = blob.key.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash < 0) files.set(pathSegment(rest), blob.size);
        else dirs.add(pathSegment(rest.slice(0, slash)));
      }
    });
    const entries: ArtifactEntry[] = [
      ...[...dirs].map((name) => ({ path: name, is_dir: true })),
      ...[...files]
        .filter(([name]) => !dirs.has(name))
        .map(([name, size]) => ({ path: name, is_dir: false, file_size: size })),
    ];
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** A file's size and content; NOT_FOUND when absent, INVALID_ARGUMENT for a directory. */
  async open(path: readonly string[]): Promise<{ size: number; stream: Readable }> {
    const key = artifactKey(path);
    return local(path, async () => {
      const info = await this.#blobs.stat(key);
      if (!info) {
        if (await this.#hasAny(`${key}/`))
          throw errors.invalid(`Artifact path refers to a directory, not a file: '${path.join('/')}'`);
        throw errors.notFound(`No such artifact: '${path.join('/')}'`, { details: { path: path.join('/') } });
      }
      return { size: info.size, stream: await this.#blobs.get(key) };
    });
  }

  /**
   * Stores `body` as the file at `path`, streaming it to the blob store. More than `maxBytes`
   * fails with RESOURCE_EXHAUSTED and stores nothing (the blob store writes atomically).
   */
  async write(path: readonly string[], body: Readable, maxBytes: number, size?: number): Promise<number> {
    const key = artifactKey(path);
    const counter = new ByteLimit(maxBytes);
    body.on('error', (err) => counter.destroy(err));
    const counted = body.pipe(counter);
    await local(path, () =>
      this.#blobs.put(key, { stream: counted, ...(size !== undefined ? { size } : {}) }),
    );
    return counter.bytes;
  }

  /** Stores a copy of the local file `source` as the file at `path` (atomically, as every write). */
  async copyIn(path: readonly string[], source: string): Promise<void> {
    const key = artifactKey(path);
    await local(path, () => this.#blobs.put(key, { file: source }));
  }

  /** Removes a file, or a directory with everything below it; a missing path is not an error. */
  async remove(path: readonly string[]): Promise<number> {
    const key = artifactKey(path);
    return local(path, async () => {
      let removed = 0;
      if (await this.#blobs.has(key)) {
        await this.#blobs.delete(key);
        removed++;
      }
      const keys: string[] = [];
      for await (const blob of this.#blobs.list(`${key}/`)) keys.push(blob.key);
      for (const k of keys) await this.#blobs.delete(k);
      if (this.#blobs.pathOf) await pruneEmptyDirectories(this.#blobs.pathOf(key), path.length);
      return removed + keys.length;
    });
  }

  async #hasAny(prefix: string): Promise<boolean> {
    for await (const _ of this.#blobs.list(prefix)) return true;
    return false;
  }
}

/**
 * On a directory store, deleting files leaves their directories: remove those under `dir` that are
 * now empty, `dir` itself, and its parents up to `depth` levels (the store's root is never
 * touched). A directory something was written to meanwhile is not empty and stays.
 */
async function pruneEmptyDirectories(dir: string, depth: number): Promise<void> {
  const below = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const dirs = below
    .filter((e) => e.isDirectory())
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => b.length - a.length);
  for (const d of dirs) await rmdir(d).catch(() => undefined);
  let current = dir;
  for (let level = 0; level < depth; level++) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

/**
 * Runs a blob store operation for the artifact at `path`, so that a failure names the artifact
 * path the client sent rather than where the server keeps it (no server paths in answers).
 */
async function local<T>(path: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const where = isCairnError(err) ? err.details?.path : undefined;
    if (!isCairnError(err) || typeof where !== 'string' || !err.message.includes(where)) throw err;
    const shown = `'${path.join('/')}'`;
    throw new CairnError(err.code, err.message.replaceAll(where, shown), {
      cause: err,
      details: { path: path.join('/') },
      ...(err.hint ? { hint: err.hint } : {}),
    });
  }
}

/** Passes bytes through, failing with RESOURCE_EXHAUSTED once more than `limit` went by. */
class ByteLimit extends Transform {
  bytes = 0;
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#limit)
      done(
        errors.exhausted(`the artifact is larger than the server's limit of ${this.#limit} bytes`, {
          hint: 'raise it with cairn server --max-artifact-size',
          details: { limit: this.#limit },
        }),
      );
    else done(null, chunk);
  }
}
