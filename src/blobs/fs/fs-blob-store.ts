import { randomBytes } from 'node:crypto';
import {
  constants,
  copyFileSync,
  createWriteStream,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { syncDirectory, syncFiles } from '../../kernel/atomic-file.ts';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { assertBlobKey, assertBlobPrefix } from '../blob-key.ts';
import type { BlobInfo, BlobSource, BlobStore } from '../blob-store.ts';

export interface FsBlobStoreConfig {
  /** Absolute directory that holds the objects. */
  root: string;
  /** fsync each object before it becomes visible (default true). */
  fsync?: boolean;
}

/**
 * Objects as files under a directory. A write goes to `<root>/.tmp/`, is flushed, then renamed
 * into place, so a killed writer leaves at most a temp file that no reader ever sees.
 */
export class FsBlobStore implements BlobStore {
  readonly location: string;
  readonly root: string;
  readonly #fsync: boolean;

  constructor(config: FsBlobStoreConfig) {
    this.root = config.root;
    this.location = config.root;
    this.#fsync = config.fsync ?? true;
  }

  pathOf(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async hasMany(keys: readonly string[]): Promise<Set<string>> {
    // A loop of stat calls beats thread-pool round trips for thousands of local files.
    const present = new Set<string>();
    for (const key of keys)
      if (statSync(this.pathOf(key), { throwIfNoEntry: false })?.isFile()) present.add(key);
    return present;
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const path = this.pathOf(key);
    try {
      const st = await stat(path);
      return st.isFile() ? { key, size: st.size } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#unavailable(err, path);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT')
        throw errors.notFound(`object ${key} is not in ${this.location}`, { details: { key } });
      throw this.#unavailable(err, path);
    });
    return fh.createReadStream({ highWaterMark: 1 << 20 });
  }

  async put(key: string, source: BlobSource): Promise<void> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    const tmpDir = join(this.root, TEMP_DIR);
    const tmp = join(tmpDir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(tmpDir, { recursive: true });
      await mkdir(dir, { recursive: true });
      if ('file' in source) {
        await copyFile(source.file, tmp, constants.COPYFILE_FICLONE);
        if (this.#fsync) await syncFile(tmp);
      } else if ('bytes' in source) {
        const fh = await open(tmp, 'wx', 0o644);
        try {
          await fh.writeFile(source.bytes);
          if (this.#fsync) await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        await pipeline(source.stream, createWriteStream(tmp, { flags: 'wx', flush: this.#fsync }));
      }
      await rename(tmp, path);
      if (this.#fsync) await syncDirectory(dir);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw fromSystemError(err, path);
    }
  }

  async putMany(
    items: readonly { key: string; source: { file: string } | { bytes: Uint8Array } }[],
  ): Promise<void> {
    // Copy everything to temp names, make the batch durable with one sync of the file system,
    // then rename into place and sync again: a crash leaves each object absent or whole.
    const staged: { tmp: string; path: string }[] = [];
    const made = new Set<string>();
    const tmpDir = join(this.root, TEMP_DIR);
    try {
      mkdirSync(tmpDir, { recursive: true });
      for (const { key, source } of items) {
        const path = this.pathOf(key);
        const dir = dirname(path);
        if (!made.has(dir)) {
          mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        const tmp = join(tmpDir, `.${process.pid}-b${staged.length}-${randomBytes(3).toString('hex')}.tmp`);
        staged.push({ tmp, path });
        if ('file' in source) copyFileSync(source.file, tmp, constants.COPYFILE_FICLONE);
        else writeFileSync(tmp, source.bytes, { flag: 'wx' });
      }
      if (this.#fsync)
        syncFiles(
          this.root,
          staged.map((s) => s.tmp),
        );
      for (const { tmp, path } of staged) renameSync(tmp, path);
    } catch (err) {
      for (const { tmp } of staged) rmSync(tmp, { force: true });
      throw fromSystemError(err, this.root);
    }
    if (this.#fsync) syncFiles(this.root, [...made]);
  }

  async *list(prefix = ''): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix);
    // Start at the deepest directory the prefix names, then filter by the remainder.
    const cut = prefix.lastIndexOf('/');
    const start = cut < 0 ? this.root : join(this.root, ...prefix.slice(0, cut).split('/'));
    let entries: string[];
    try {
      entries = (await readdir(start, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.#unavailable(err, start);
    }
    for (const file of entries) {
      const key = relative(this.root, file).split(sep).join('/');
      if (key.startsWith(`${TEMP_DIR}/`) || isTemp(key) || !key.startsWith(prefix)) continue;
      const st = await stat(file).catch(() => undefined);
      if (st) yield { key, size: st.size };
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true }).catch((err: unknown) => {
      throw fromSystemError(err, path);
    });
  }

  /** Removes temp files older than `maxAgeMs` that killed writers left behind. */
  async removeStaleTemp(maxAgeMs: number): Promise<number> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    let removed = 0;
    for (const e of entries) {
      if (!e.isFile() || !isTemp(e.name)) continue;
      const path = join(e.parentPath, e.name);
      const st = await stat(path).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  #unavailable(err: unknown, path: string): unknown {
    const mapped = fromSystemError(err, path);
    if (mapped !== err) return mapped;
    return errors.unavailable(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes go to `<root>/.tmp/` first (a rename across directories measured faster on ext4). */
const TEMP_DIR = '.tmp';

/** Temp files are dot-files ending in `.tmp`; keys never look like that. */
function isTemp(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.startsWith('.') && name.endsWith('.tmp');
}
