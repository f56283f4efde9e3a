import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { errors, fromSystemError } from '../kernel/errors.ts';
import { type Digest, digestFromHex, digestHex } from '../kernel/hashing.ts';
import { type CopyResult, type CopyTask, syncObjectDirs } from './hash-file.ts';
import { digestOfKey, isTempName, objectPath, tempNameIn } from './object-key.ts';

export interface ObjectCacheConfig {
  root: string;
  fsync: boolean;
}

/**
 * The workspace's local content-addressed cache (`.cairn/cache`). Objects are read-only files
 * named by their SHA-256; every write goes through a temp file and a rename, and everything that
 * arrives from elsewhere is hashed on the way in and refused if it does not match.
 */
export class ObjectCache {
  readonly root: string;
  readonly fsync: boolean;

  constructor(config: ObjectCacheConfig) {
    this.root = config.root;
    this.fsync = config.fsync;
  }

  pathOf(digest: Digest): string {
    return objectPath(this.root, digest);
  }

  /**
   * Which of `digests` the cache holds. For many digests, listing the shard directories beats
   * one stat per object.
   */
  present(digests: readonly Digest[]): Set<Digest> {
    const found = new Set<Digest>();
    if (digests.length < 512) {
      for (const d of digests) if (existsSync(this.pathOf(d))) found.add(d);
      return found;
    }
    const shards = new Map<string, Set<string>>();
    for (const d of digests) {
      const hex = digestHex(d);
      const shard = hex.slice(0, 2);
      let names = shards.get(shard);
      if (!names) {
        names = new Set(listDir(`${this.root}/sha256/${shard}`));
        shards.set(shard, names);
      }
      if (names.has(hex.slice(2))) found.add(d);
    }
    return found;
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.pathOf(digest))).isFile();
    } catch {
      return false;
    }
  }

  /** A fresh temp path in `.tmp/`, on the cache's file system. */
  async tempPath(): Promise<string> {
    const dir = join(this.root, '.tmp');
    await mkdir(dir, { recursive: true });
    return tempNameIn(dir, 'c');
  }

  /**
   * Copies each file to a temp file of its own with `copy` (which runs them off this thread);
   * resolves to the temp paths in order. On any failure no temp file is left, and the error
   * names the file by its `label`.
   */
  async copyToTemps(
    files: readonly { path: string; label: string }[],
    copy: (tasks: CopyTask[]) => Promise<CopyResult[]>,
  ): Promise<string[]> {
    const temps = await Promise.all(files.map(() => this.tempPath()));
    let results: CopyResult[];
    try {
      results = await copy(files.map((f, i) => ({ source: f.path, dest: temps[i] as string })));
    } catch (err) {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
      throw err;
    }
    const failed = results.findIndex((r) => !r.ok);
    if (failed >= 0) {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
      const r = results[failed] as { errno: string; message: string };
      const label = (files[failed] as { label: string }).label;
      throw this.#storeError(Object.assign(new Error(r.message), { code: r.errno }), label);
    }
    return temps;
  }

  #storeError(err: unknown, what: string): unknown {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      return errors.exhausted(`cannot store ${what} in the cache (${this.root}): no space left on device`, {
        cause: err,
        hint: 'free disk space and run the command again; nothing was half-written',
      });
    return fromSystemError(err, what);
  }

  /** Moves a temp file whose content hashes to `digest` into place; drops it if the object exists. */
  async commitTemp(tmp: string, digest: Digest): Promise<void> {
    const final = this.pathOf(digest);
    try {
      if (await this.has(digest)) {
        await rm(tmp, { force: true });
        return;
      }
      await chmod(tmp, 0o444);
      if (this.fsync) {
        const fh = await open(tmp, 'r');
        await fh.sync().finally(() => fh.close());
      }
      await mkdir(dirname(final), { recursive: true });
      await rename(tmp, final);
      if (this.fsync) await syncObjectDirs(this.root, [digest]);
    } catch (err) {
      await rm(tmp, { force: true });
      throw fromSystemError(err, final);
    }
  }

  /**
   * Stores a stream as object `digest`, hashing it on the way in. Content that does not match is
   * discarded and reported as INTEGRITY_ERROR; `source` names where it came from.
   */
  async insertStream(digest: Digest, stream: Readable, source: string): Promise<number> {
    const tmp = await this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        for await (const chunk of stream) {
          const buf = chunk as Buffer;
          hash.update(buf);
          size += buf.length;
          let off = 0;
          while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
        }
      } finally {
        await fh.close();
      }
      const actual = digestFromHex(hash.digest('hex'));
      if (actual !== digest)
        throw errors.integrity(
          `object ${digest} from ${source} is corrupt: its content hashes to ${actual}`,
          {
            details: { expected: digest, actual, source },
            hint: 'the corrupt copy was not stored; repair the remote with `cairn push --verify` from a workspace that has a good copy',
          },
        );
      await this.commitTemp(tmp, digest);
      return size;
    } catch (err) {
      await rm(tmp, { force: true });
      throw this.#storeError(err, `object ${digest}`);
    }
  }

  /** Reads a (small) object whole and checks it against its hash. */
  async readVerified(digest: Digest): Promise<Buffer> {
    const path = this.pathOf(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw errors.notFound(`object ${digest} is not in the cache`, {
          details: { digest },
          hint: 'run `cairn pull` to fetch it from the remote',
        });
      throw fromSystemError(err, path);
    }
    const actual = digestFromHex(createHash('sha256').update(bytes).digest('hex'));
    if (actual !== digest) throw this.corrupt(digest, actual);
    return bytes;
  }

  /** Hashes an object in the cache again; returns the digest its content actually has. */
  async rehash(digest: Digest): Promise<Digest> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.pathOf(digest), { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return digestFromHex(hash.digest('hex'));
  }

  /**
   * The error for a corrupt object. With `movedTo` (see `quarantine`) the object is gone from
   * the cache, so `cairn fetch` or `cairn add` can store a good copy in its place.
   */
  corrupt(digest: Digest, actual: Digest, movedTo?: string): Error {
    const where = movedTo ? `; it was moved to ${movedTo}` : '';
    return errors.integrity(`cache object ${digest} is corrupt: its content hashes to ${actual}${where}`, {
      details: { expected: digest, actual, path: movedTo ?? this.pathOf(digest) },
      hint: movedTo
        ? 'it was not used; run `cairn pull` to fetch a good copy, or `cairn add` the file again'
        : 'it was not used; delete it, then run `cairn pull` to fetch a good copy or `cairn add` the file again',
    });
  }

  /**
   * Moves a corrupt object out of the cache, to `quarantine/<hex>` beside the objects, so that it
   * no longer counts as present (fetch and add then store a good copy) but stays for inspection.
   * Returns where it went.
   */
  async quarantine(digest: Digest): Promise<string> {
    const dir = join(this.root, 'quarantine');
    const to = join(dir, digestHex(digest));
    try {
      await mkdir(dir, { recursive: true });
      await rename(this.pathOf(digest), to);
    } catch (err) {
      throw fromSystemError(err, this.pathOf(digest));
    }
    return to;
  }

  /** Every object in the cache. */
  async list(): Promise<{ digest: Digest; size: number }[]> {
    const base = join(this.root, 'sha256');
    const out: { digest: Digest; size: number }[] = [];
    let shards: string[];
    try {
      shards = await readdir(base);
    } catch {
      return out;
    }
    for (const shard of shards) {
      for (const name of await readdir(join(base, shard)).catch(() => [] as string[])) {
        const digest = digestOfKey(`sha256/${shard}/${name}`);
        if (!digest) continue;
        const st = await stat(join(base, shard, name)).catch(() => undefined);
        if (st?.isFile()) out.push({ digest, size: st.size });
      }
    }
    return out;
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  /** Removes temp files left by killed writers (older than `maxAgeMs`), in `.tmp/` and the shards. */
  async removeStaleTemp(maxAgeMs: number): Promise<number> {
    const shards = await readdir(join(this.root, 'sha256')).catch(() => [] as string[]);
    const dirs = [join(this.root, '.tmp'), ...shards.map((s) => join(this.root, 'sha256', s))];
    let removed = 0;
    for (const dir of dirs) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (dir.endsWith('.tmp') ? false : !isTempName(name)) continue;
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > maxAgeMs) {
          await rm(join(dir, name), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
