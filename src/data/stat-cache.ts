import type { Stats } from 'node:fs';
import type { Digest } from '../kernel/hashing.ts';
import type { MetadataStore, Migration } from '../store/metadata-store.ts';

/** What identifies an unchanged file without reading it. */
export interface FileSignature {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface StatCacheEntry extends FileSignature {
  hash: Digest;
  /** When the hash was computed (ms). */
  checkedAt: number;
}

export const STAT_CACHE_MIGRATIONS: Migration[] = [
  {
    id: 'data-001-stat-cache',
    sql: `CREATE TABLE data_stat_cache (
      scope TEXT NOT NULL,
      path TEXT NOT NULL,
      size BIGINT NOT NULL,
      mtime_ms DOUBLE PRECISION NOT NULL,
      ino DOUBLE PRECISION NOT NULL,
      hash TEXT NOT NULL,
      checked_at BIGINT NOT NULL,
      PRIMARY KEY (scope, path)
    )`,
  },
  {
    id: 'data-003-dir-summaries',
    sql: `CREATE TABLE data_dir_summaries (
      scope TEXT NOT NULL,
      path TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      hash TEXT NOT NULL,
      files BIGINT NOT NULL,
      checked_at BIGINT NOT NULL,
      PRIMARY KEY (scope, path)
    )`,
  },
];

/**
 * What a tracked directory held when it was last hashed: a fingerprint of its listing (every
 * file's path, size, mtime, inode and mode) and the manifest hash that listing had.
 */
export interface DirectorySummary {
  fingerprint: string;
  hash: Digest;
  files: number;
  checkedAt: number;
}

/**
 * A file modified shortly before it was hashed may be modified again within the file system's
 * timestamp granularity without its signature changing ("racily clean"); such entries are not
 * trusted and get hashed once more. Whole-second mtimes suggest a coarse file system.
 */
export function racyWindowMs(mtimeMs: number): number {
  return Number.isInteger(mtimeMs / 1000) ? 2000 : 50;
}

export function signatureOf(st: Stats): FileSignature {
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/**
 * Remembers the hash of files by (size, mtime, inode) so unchanged files are never read twice.
 * Entries are keyed by a scope (host + workspace) so one shared metadata database can serve many
 * machines without mixing their files.
 */
export class StatCache {
  readonly #store: MetadataStore;
  readonly #scope: string;

  constructor(store: MetadataStore, scope: string) {
    this.#store = store;
    this.#scope = scope;
  }

  /** Every entry whose path starts with `prefix` (all entries for ''). */
  async load(prefix: string): Promise<Map<string, StatCacheEntry>> {
    const rows =
      prefix === ''
        ? await this.#store.all<Row>(`SELECT ${COLUMNS} FROM data_stat_cache WHERE scope = ?`, [this.#scope])
        : await this.#store.all<Row>(
            // substr, not a range: PostgreSQL compares text by collation, not by bytes.
            `SELECT ${COLUMNS} FROM data_stat_cache WHERE scope = ? AND substr(path, 1, ?) = ?`,
            [this.#scope, [...prefix].length, prefix],
          );
    const map = new Map<string, StatCacheEntry>();
    for (const r of rows)
      map.set(r.path, {
        size: r.size,
        mtimeMs: r.mtime_ms,
        ino: r.ino,
        hash: r.hash as Digest,
        checkedAt: r.checked_at,
      });
    return map;
  }

  async get(path: string): Promise<StatCacheEntry | undefined> {
    const row = await this.#store.get<Row>(
      `SELECT ${COLUMNS} FROM data_stat_cache WHERE scope = ? AND path = ?`,
      [this.#scope, path],
    );
    return row ? fromRow(row) : undefined;
  }

  /**
   * Records hashes. `checkedAt` is when reading started (before the stat), so a write that raced
   * with the read cannot hide behind an unchanged signature.
   */
  async save(
    entries: readonly { path: string; signature: FileSignature; hash: Digest }[],
    checkedAt = Date.now(),
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.#store.runMany(
      `INSERT INTO data_stat_cache (scope, path, size, mtime_ms, ino, hash, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
         ino = excluded.ino, hash = excluded.hash, checked_at = excluded.checked_at`,
      entries.map((e) => [
        this.#scope,
        e.path,
        e.signature.size,
        e.signature.mtimeMs,
        e.signature.ino,
        e.hash,
        checkedAt,
      ]),
    );
  }

  async getSummary(path: string): Promise<DirectorySummary | undefined> {
    const row = await this.#store.get<{
      fingerprint: string;
      hash: string;
      files: number;
      checked_at: number;
    }>('SELECT fingerprint, hash, files, checked_at FROM data_dir_summaries WHERE scope = ? AND path = ?', [
      this.#scope,
      path,
    ]);
    return row
      ? {
          fingerprint: row.fingerprint,
          hash: row.hash as Digest,
          files: Number(row.files),
          checkedAt: Number(row.checked_at),
        }
      : undefined;
  }

  async saveSummary(path: string, summary: DirectorySummary): Promise<void> {
    await this.#store.run(
      `INSERT INTO data_dir_summaries (scope, path, fingerprint, hash, files, checked_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, path) DO UPDATE SET fingerprint = excluded.fingerprint, hash = excluded.hash,
         files = excluded.files, checked_at = excluded.checked_at`,
      [this.#scope, path, summary.fingerprint, summary.hash, summary.files, summary.checkedAt],
    );
  }

  async forget(paths: readonly string[]): Promise<void> {
    await this.#store.runMany(
      'DELETE FROM data_stat_cache WHERE scope = ? AND path = ?',
      paths.map((p) => [this.#scope, p]),
    );
  }
}

/**
 * The cached hash when `entry` still describes the file whose signature is `current`. Files only
 * Cairn writes (cache objects) pass `racy: false`: nothing else modifies them.
 */
export function trustedHash(
  entry: StatCacheEntry | undefined,
  current: FileSignature,
  options: { racy?: boolean } = {},
): Digest | undefined {
  if (!entry) return undefined;
  if (entry.size !== current.size || entry.mtimeMs !== current.mtimeMs || entry.ino !== current.ino)
    return undefined;
  if ((options.racy ?? true) && current.mtimeMs >= entry.checkedAt - racyWindowMs(current.mtimeMs))
    return undefined;
  return entry.hash;
}

const COLUMNS = 'path, size, mtime_ms, ino, hash, checked_at';
type Row = { path: string; size: number; mtime_ms: number; ino: number; hash: string; checked_at: number };

function fromRow(r: Row): StatCacheEntry {
  return {
    size: Number(r.size),
    mtimeMs: Number(r.mtime_ms),
    ino: Number(r.ino),
    hash: r.hash as Digest,
    checkedAt: Number(r.checked_at),
  };
}
