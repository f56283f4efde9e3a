import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.ts';
import type { RunCacheIndex, RunCacheRecord } from '../../data/data-context.ts';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { mapConcurrent } from '../../kernel/concurrency.ts';
import { errors, isCairnError } from '../../kernel/errors.ts';
import { type Digest, digestHex, isDigest, sha256 } from '../../kernel/hashing.ts';
import { pointerOf } from '../lock/lock-file.ts';
import type { LockEntry, LockedPath, StageDefinition } from '../pipeline-types.ts';
import { canonicalJson, isRecord } from './param-values.ts';
import type { StageState } from './stage-state.ts';

/** Run-cache entries live under this prefix, beside `sha256/` objects, locally and on remotes. */
export const RUN_CACHE_PREFIX = 'runs/';

/** What one successful run of a stage produced, found again by the hash of everything it used. */
export interface RunCacheEntry {
  schema: 1;
  stage: string;
  outs: LockEntry['outs'];
  /** ISO time the entry was written. */
  created: string;
  /** The tracked run that produced the outputs. */
  run_id: string;
}

/**
 * A stage's results can be reused only when they are a function of what it declares: it has deps
 * (a stage without them may fetch from anywhere), it has outputs, none persists across runs (the
 * result would depend on the previous one) and no out opts out of the cache.
 */
export function isRunCacheable(stage: StageDefinition): boolean {
  return (
    stage.deps.length > 0 &&
    stage.outs.length + stage.metrics.length + stage.plots.length > 0 &&
    [...stage.outs, ...stage.metrics, ...stage.plots].every((o) => !o.persist) &&
    stage.outs.every((o) => o.cache)
  );
}

/**
 * The run-cache key: SHA-256 of the canonical JSON of the command, working directory, declared
 * environment, dep paths and hashes, param values and output paths. Undefined when a dep is missing.
 */
export function runCacheKey(stage: StageDefinition, state: StageState): Digest | undefined {
  const deps: { path: string; hash: string }[] = [];
  for (const path of [...stage.deps].sort()) {
    const d = state.deps.get(path);
    if (!d) return undefined;
    deps.push({ path, hash: d.hash });
  }
  return sha256(
    canonicalJson({
      cmd: stage.cmd,
      wdir: stage.wdir,
      env: stage.env,
      deps,
      params: state.params,
      outs: [...stage.outs, ...stage.metrics, ...stage.plots].map((o) => o.path).sort(),
    }),
  );
}

/** `runs/<first two hex digits>/<remaining 62>`: the same layout as objects, another prefix. */
export function runCacheBlobKey(key: Digest): string {
  const hex = digestHex(key);
  return `${RUN_CACHE_PREFIX}${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** The key a blob key names, or undefined when it is not a run-cache key. */
export function keyOfRunCacheBlob(blobKey: string): Digest | undefined {
  const m = /^runs\/([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(blobKey);
  const digest = m ? `sha256:${m[1]}${m[2]}` : undefined;
  return isDigest(digest) ? digest : undefined;
}

/**
 * The run cache in the workspace's local cache directory (`<cache>/runs/…`). It is also the
 * workspace's RunCacheIndex: gc keeps the objects its entries restore and prunes it on request.
 */
export class LocalRunCache implements RunCacheIndex {
  readonly root: string;

  constructor(cacheRoot: string) {
    this.root = cacheRoot;
  }

  pathOf(key: Digest): string {
    return join(this.root, ...runCacheBlobKey(key).split('/'));
  }

  async get(key: Digest): Promise<RunCacheEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), 'utf8');
    } catch {
      return undefined;
    }
    return parseEntry(text, this.pathOf(key));
  }

  async put(key: Digest, entry: RunCacheEntry): Promise<void> {
    await mkdir(dirname(this.pathOf(key)), { recursive: true });
    await writeFileAtomic(this.pathOf(key), formatEntry(entry));
  }

  async text(key: Digest): Promise<string> {
    return readFile(this.pathOf(key), 'utf8');
  }

  async remove(key: Digest): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Every entry with the outputs it restores and when its stage ran; unreadable ones without. */
  async list(): Promise<RunCacheRecord[]> {
    return mapConcurrent(await this.keys(), 16, async (key): Promise<RunCacheRecord> => {
      const entry = await this.get(key).catch(() => undefined);
      if (!entry) return { key };
      const created = Date.parse(entry.created);
      return {
        key,
        stage: entry.stage,
        ...(Number.isNaN(created) ? {} : { created }),
        outputs: entry.outs.map(pointerOf),
      };
    });
  }

  /** Every key in the local run cache. */
  async keys(): Promise<Digest[]> {
    const base = join(this.root, 'runs');
    const out: Digest[] = [];
    for (const shard of await readdir(base).catch(() => [] as string[]))
      for (const name of await readdir(join(base, shard)).catch(() => [] as string[])) {
        const key = keyOfRunCacheBlob(`runs/${shard}/${name}`);
        if (key) out.push(key);
      }
    return out;
  }
}

/**
 * The run cache on a remote (`runs/…` beside its objects), as `gc --remote` sees it: every entry
 * with what it restores, and removal of entries.
 */
export class RemoteRunCache implements RunCacheIndex {
  readonly #store: BlobStore;

  constructor(store: BlobStore) {
    this.#store = store;
  }

  async list(): Promise<RunCacheRecord[]> {
    const keys: Digest[] = [];
    for await (const { key } of this.#store.list(RUN_CACHE_PREFIX)) {
      const digest = keyOfRunCacheBlob(key);
      if (digest) keys.push(digest);
    }
    return mapConcurrent(keys, 16, async (key): Promise<RunCacheRecord> => {
      let entry: RunCacheEntry | undefined;
      try {
        entry = await getRemoteEntry(this.#store, key);
      } catch (err) {
        // A malformed entry restores nothing: it is listed without outputs.
        if (!isCairnError(err) || err.code !== 'INTEGRITY_ERROR') throw err;
      }
      if (!entry) return { key };
      const created = Date.parse(entry.created);
      return {
        key,
        stage: entry.stage,
        ...(Number.isNaN(created) ? {} : { created }),
        outputs: entry.outs.map(pointerOf),
      };
    });
  }

  async remove(key: Digest): Promise<void> {
    await this.#store.delete(runCacheBlobKey(key));
  }
}

/** Looks a key up on a remote; undefined when the remote does not have it. */
export async function getRemoteEntry(store: BlobStore, key: Digest): Promise<RunCacheEntry | undefined> {
  let stream: Readable;
  try {
    stream = await store.get(runCacheBlobKey(key));
  } catch (err) {
    if (isCairnError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return parseEntry(Buffer.concat(chunks).toString('utf8'), `${store.location}/${runCacheBlobKey(key)}`);
}

export function formatEntry(entry: RunCacheEntry): string {
  return `${JSON.stringify(entry, null, 2)}\n`;
}

function parseEntry(text: string, where: string): RunCacheEntry {
  const bad = (why: string) =>
    errors.integrity(`run-cache entry ${where} is malformed: ${why}`, {
      hint: 'delete it; the stage will run instead',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!isRecord(value) || value.schema !== 1 || !Array.isArray(value.outs)) throw bad('unknown format');
  for (const o of value.outs as unknown[]) {
    if (!isRecord(o) || typeof o.path !== 'string' || !isDigest(o.hash) || typeof o.size !== 'number')
      throw bad('an out is not {path, hash, size}');
  }
  return value as unknown as RunCacheEntry;
}

/** The digests behind an entry's outputs: files, and manifests of directories. */
export function entryObjects(outs: readonly LockedPath[]): { files: Digest[]; manifests: Digest[] } {
  const files: Digest[] = [];
  const manifests: Digest[] = [];
  for (const o of outs) (o.files !== undefined ? manifests : files).push(o.hash);
  return { files, manifests };
}
