import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { errors } from '../../kernel/errors.ts';
import type { Dialect, MetadataStore, Migration, Row, SqlExecutor, SqlValue } from '../metadata-store.ts';
import { applyMigrations, MIGRATIONS_TABLE_SQL } from '../migrator.ts';

export interface SqliteMetadataStoreConfig {
  /** A file path, or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's lock before failing, in ms. */
  busyTimeoutMs?: number;
}

type ExecTx = SqlExecutor & { exec(sql: string): Promise<void> };

interface GroupedTransaction {
  fn: (tx: SqlExecutor) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The embedded metadata store: one `node:sqlite` connection in WAL mode. Other processes on the
 * same file wait up to the busy timeout for the write lock; inside this process, transactions are
 * queued so they never interleave on the shared connection.
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly dialect: Dialect = 'sqlite';
  readonly displayUri: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #queue: Promise<unknown> = Promise.resolve();
  #inTransaction = false;
  /** Transactions waiting for the next group commit. */
  #group: GroupedTransaction[] = [];
  #groupScheduled = false;

  constructor(config: SqliteMetadataStoreConfig) {
    this.displayUri = `sqlite://${config.path}`;
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    try {
      this.#db = new DatabaseSync(config.path, { timeout: config.busyTimeoutMs ?? 10_000 });
      this.#db.exec('PRAGMA journal_mode = WAL');
      // FULL: each commit fsyncs the write-ahead log before it returns, so a run, a metric or a
      // model version the server acknowledged survives a power loss or a kernel crash. NORMAL
      // fsyncs only at checkpoints and may lose the last commits then (the database stays
      // consistent). The cost, measured with bench:tracking, is in docs/benchmarks.md.
      this.#db.exec('PRAGMA synchronous = FULL');
      // Measured with the tracking benchmark: a 64 MiB page cache (default 2 MiB) cut search
      // latency by ~15%, and checkpointing every 10,000 pages instead of 1,000 halved the cost of
      // a commit (each checkpoint fsyncs).
      this.#db.exec('PRAGMA cache_size = -65536');
      this.#db.exec('PRAGMA wal_autocheckpoint = 10000');
      this.#db.exec('PRAGMA foreign_keys = ON');
      this.#db.exec(MIGRATIONS_TABLE_SQL);
    } catch (err) {
      throw errors.unavailable(`cannot open the SQLite database ${config.path}: ${(err as Error).message}`, {
        cause: err,
        hint: 'check that the file is a SQLite database and that its directory is writable',
      });
    }
  }

  all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#outside(() => this.#all<T>(sql, params));
  }

  get<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#outside(() => this.#all<T>(sql, params)[0]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.#outside(() => this.#run(sql, params));
  }

  runMany(sql: string, paramsList: readonly (readonly SqlValue[])[]): Promise<void> {
    if (paramsList.length === 0) return Promise.resolve();
    return this.transaction((tx) => tx.runMany(sql, paramsList));
  }

  /**
   * Transactions are committed in groups: those requested while one group runs (or within the same
   * turn of the event loop) run one after another inside one SQLite transaction, each in its own
   * savepoint, and one COMMIT — one sync of the log with `synchronous = FULL` — makes them all
   * durable. Each still sees the writes of those before it and nothing else; one that throws is
   * rolled back to its savepoint alone; none resolves before the COMMIT is on disk, and if the
   * COMMIT fails every one of the group fails.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#group.push({ fn, resolve, reject } as GroupedTransaction);
      if (this.#groupScheduled) return;
      this.#groupScheduled = true;
      // setImmediate: requests that arrived during the last COMMIT join this group.
      setImmediate(() => void this.#exclusive(() => this.#commitGroup()));
    });
  }

  async #commitGroup(): Promise<void> {
    this.#groupScheduled = false;
    const group = this.#group.splice(0);
    if (group.length === 0) return;
    const done: { item: GroupedTransaction; result: unknown }[] = [];
    const failed: { item: GroupedTransaction; error: unknown }[] = [];
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    this.#inTransaction = true;
    try {
      for (const item of group) {
        this.#db.exec('SAVEPOINT grouped');
        try {
          const result = await item.fn(this.#executor());
          this.#db.exec('RELEASE grouped');
          done.push({ item, result });
        } catch (error) {
          this.#db.exec('ROLLBACK TO grouped');
          this.#db.exec('RELEASE grouped');
          failed.push({ item, error });
        }
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      for (const { item } of done) item.reject(err);
      for (const { item, error } of failed) item.reject(error);
      return;
    } finally {
      this.#inTransaction = false;
    }
    for (const { item, result } of done) item.resolve(result);
    for (const { item, error } of failed) item.reject(error);
  }

  migrate(migrations: readonly Migration[]): Promise<string[]> {
    return applyMigrations(migrations, this.dialect, {
      all: (sql, params) => this.all(sql, params),
      transaction: (fn) => this.transaction((tx) => fn(tx as ExecTx)),
    });
  }

  async ping(): Promise<void> {
    await this.get('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    // A group waiting for its turn (setImmediate) is not in the queue yet.
    while (this.#groupScheduled) await new Promise((resolve) => setImmediate(resolve));
    await this.#queue.catch(() => undefined);
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #executor(): ExecTx {
    return {
      all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => this.#all<T>(sql, params),
      get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        this.#all<T>(sql, params)[0],
      run: async (sql, params = []) => this.#run(sql, params),
      runMany: async (sql, paramsList) => {
        const statement = this.#prepare(sql);
        for (const params of paramsList) statement.run(...toSqlite(params));
      },
      exec: async (sql) => this.#db.exec(sql),
    };
  }

  /** Runs one statement, after any transaction that is in progress. */
  #outside<T>(fn: () => T): Promise<T> {
    if (!this.#inTransaction) {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#exclusive(async () => fn());
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn, fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all<T>(sql: string, params: readonly SqlValue[]): T[] {
    return this.#prepare(sql).all(...toSqlite(params)) as T[];
  }

  #run(sql: string, params: readonly SqlValue[]): { changes: number } {
    const result = this.#prepare(sql).run(...toSqlite(params));
    return { changes: Number(result.changes) };
  }
}

function toSqlite(params: readonly SqlValue[]): SQLInputValue[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
