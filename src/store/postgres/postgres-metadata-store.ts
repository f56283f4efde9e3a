import pg from 'pg';
import { errors, isCairnError } from '../../kernel/errors.ts';
import type { Dialect, MetadataStore, Migration, Row, SqlExecutor, SqlValue } from '../metadata-store.ts';
import { applyMigrations, MIGRATIONS_TABLE_SQL } from '../migrator.ts';
import { redact } from '../redact-uri.ts';
import {
  type InsertValuesShape,
  insertValuesShape,
  multiRowInsert,
  numberPlaceholders,
} from './placeholders.ts';
import { errorCode, isRetryable, toCairnError } from './postgres-errors.ts';
import { resultTypes } from './result-types.ts';

export interface PostgresMetadataStoreConfig {
  /** `postgresql://user:password@host:5432/database` (libpq URI parameters are accepted). */
  connectionString: string;
  /** Most connections the pool opens; 10 by default. */
  max?: number;
}

type ExecTx = SqlExecutor & { exec(sql: string): Promise<void> };
type Isolation = 'SERIALIZABLE' | 'READ COMMITTED';

/** What a transaction saw go wrong, even if `fn` caught it. */
interface TxState {
  open: boolean;
  /** A statement failed with a serialization failure or deadlock: running again may succeed. */
  conflict: boolean;
  /** The first failure not recovered from, which aborted the transaction. */
  failure: unknown;
}

/** A bound on conflict retries: beyond it, contention is a problem to report, not to hide. */
const MAX_ATTEMPTS = 16;
/** PostgreSQL's limit on the parameters of one statement (a 16-bit count in the protocol). */
const MAX_PARAMS = 65_535;
/** Several thousand rows per statement already amortise the round trip; more only grows the text. */
const MAX_ROWS_PER_BATCH = 5_000;
/** Serialises migrators on one database (advisory locks are per database). */
const MIGRATION_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('cairn_migrations'))";
const TEXT_CACHE_LIMIT = 1_000;

/**
 * The scale-out metadata store: a `pg` connection pool. Statements outside a transaction run on
 * any pooled connection in autocommit; a transaction holds one connection at SERIALIZABLE and
 * is run again (up to a bound, with jittered backoff) when PostgreSQL reports a serialization
 * failure or deadlock.
 */
export class PostgresMetadataStore implements MetadataStore {
  readonly dialect: Dialect = 'postgres';
  readonly displayUri: string;
  readonly #pool: pg.Pool;
  readonly #numbered = new Map<string, string>();
  readonly #shapes = new Map<string, InsertValuesShape | undefined>();
  readonly #batches = new Map<string, string>();
  #migrationsTable: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(config: PostgresMetadataStoreConfig) {
    this.displayUri = redact(config.connectionString);
    this.#pool = new pg.Pool({
      connectionString: config.connectionString,
      max: config.max ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      // An idle pool must not keep a CLI process alive after its work is done.
      allowExitOnIdle: true,
      application_name: 'cairn',
      types: resultTypes,
    });
    // An idle connection that dies (server restart) is dropped by the pool; the next query reports it.
    this.#pool.on('error', () => undefined);
  }

  all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#query<T>(this.#pool, this.#text(sql), params).then((r) => r.rows);
  }

  async get<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const result = await this.#query(this.#pool, this.#text(sql), params);
    return { changes: result.rowCount ?? 0 };
  }

  async runMany(sql: string, paramsList: readonly (readonly SqlValue[])[]): Promise<void> {
    if (paramsList.length === 0) return;
    await this.transaction((tx) => tx.runMany(sql, paramsList));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#transact('SERIALIZABLE', fn);
  }

  async migrate(migrations: readonly Migration[]): Promise<string[]> {
    this.#migrationsTable ??= this.#createMigrationsTable().catch((err: unknown) => {
      this.#migrationsTable = undefined;
      throw err;
    });
    await this.#migrationsTable;
    return applyMigrations(migrations, this.dialect, {
      all: (sql, params) => this.all(sql, params),
      // READ COMMITTED, not SERIALIZABLE: the check for an applied migration must see what another
      // migrator committed while we waited for the lock, and a serializable snapshot would be
      // taken before the lock is granted. The lock itself makes migrators run one at a time.
      transaction: (fn) =>
        this.#transact('READ COMMITTED', async (tx) => {
          await tx.run(MIGRATION_LOCK_SQL);
          return fn(tx);
        }),
    });
  }

  async ping(): Promise<void> {
    await this.#query(this.#pool, 'SELECT 1', []);
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  /** Creates the bookkeeping table, under the migration lock so concurrent first runs do not collide. */
  async #createMigrationsTable(): Promise<void> {
    await this.#transact('READ COMMITTED', async (tx) => {
      await tx.run(MIGRATION_LOCK_SQL);
      await tx.exec(MIGRATIONS_TABLE_SQL);
    });
  }

  async #transact<T>(isolation: Isolation, fn: (tx: ExecTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(isolation, fn);
      if ('value' in outcome) return outcome.value;
      if (!outcome.retry) throw outcome.error;
      if (attempt >= MAX_ATTEMPTS)
        throw errors.conflict(
          `a transaction on ${this.displayUri} kept conflicting with concurrent ones (${attempt} attempts)`,
          {
            cause: outcome.error,
            hint: 'try again; if it persists, fewer writers should touch the same rows',
          },
        );
      // Full jitter on an exponential ceiling: contenders spread out instead of colliding again.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * Math.min(1_000, 2 ** (attempt + 1))),
      );
    }
  }

  async #attempt<T>(
    isolation: Isolation,
    fn: (tx: ExecTx) => Promise<T>,
  ): Promise<{ value: T } | { error: unknown; retry: boolean }> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      return { error: toCairnError(err, this.displayUri), retry: false };
    }
    const state: TxState = { open: true, conflict: false, failure: undefined };
    let broken: Error | undefined;
    try {
      await this.#query(client, `BEGIN ISOLATION LEVEL ${isolation}`, []);
      const value = await fn(this.#executor(client, state));
      const commit = await this.#query(client, 'COMMIT', []);
      // COMMIT of a transaction in which a statement failed answers ROLLBACK instead of an error.
      if (commit.command === 'ROLLBACK') throw this.#abortedError(state);
      return { value };
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      // Errors from the database are mapped where they occur; whatever `fn` threw itself stays as it is.
      return { error: err, retry: state.conflict || isRetryable(errorCode(err)) };
    } finally {
      state.open = false;
      client.release(broken);
    }
  }

  #abortedError(state: TxState): unknown {
    if (state.conflict) return state.failure;
    return errors.internal(
      `a transaction on ${this.displayUri} was rolled back because one of its statements failed`,
      { cause: state.failure },
    );
  }

  #executor(client: pg.PoolClient, state: TxState): ExecTx {
    const query = async <T extends Row>(text: string, params: readonly SqlValue[]) => {
      if (!state.open) throw errors.precondition('this transaction has ended; use the store, not the old tx');
      try {
        return await this.#query<T>(client, text, params);
      } catch (err) {
        const cause = isCairnError(err) ? (err.cause ?? err) : err;
        state.failure ??= cause;
        if (isRetryable(errorCode(cause))) state.conflict = true;
        throw err;
      }
    };
    return {
      all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        (await query<T>(this.#text(sql), params)).rows,
      get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        (await query<T>(this.#text(sql), params)).rows[0],
      run: async (sql, params = []) => ({ changes: (await query(this.#text(sql), params)).rowCount ?? 0 }),
      runMany: (sql, paramsList) => this.#runMany(query, state, sql, paramsList),
      // Without parameters pg uses the simple query protocol, which runs a script of several statements.
      exec: async (sql) => {
        await query(sql, []);
      },
    };
  }

  /**
   * Inserts of one VALUES row become multi-row statements (one round trip per batch); anything
   * else runs once per row on the transaction's connection.
   */
  async #runMany(
    query: (text: string, params: readonly SqlValue[]) => Promise<unknown>,
    state: TxState,
    sql: string,
    paramsList: readonly (readonly SqlValue[])[],
  ): Promise<void> {
    const shape = this.#shape(sql);
    const single = this.#text(sql);
    const perRow = async (rows: readonly (readonly SqlValue[])[]) => {
      for (const params of rows) await query(single, params);
    };
    if (!shape || paramsList.length === 1) return perRow(paramsList);
    const size = Math.min(MAX_ROWS_PER_BATCH, Math.floor(MAX_PARAMS / shape.perRow));
    for (let from = 0; from < paramsList.length; from += size) {
      const rows = paramsList.slice(from, from + size);
      const values: SqlValue[] = [];
      for (const [i, params] of rows.entries()) {
        if (params.length !== shape.perRow)
          throw errors.invalid(
            `runMany: row ${from + i} has ${params.length} values but the statement takes ${shape.perRow}`,
          );
        values.push(...params);
      }
      const text = this.#batch(sql, shape, rows.length);
      if (!shape.updatesOnConflict) {
        await query(text, values);
        continue;
      }
      if (shape.conflictKey) {
        // Duplicates are visible client-side: no savepoint round trips (measured: 4 of the 11
        // round trips of a tracking log-batch).
        const key = shape.conflictKey;
        const seen = new Set(rows.map((r) => JSON.stringify(key.map((k) => String(r[k])))));
        if (seen.size === rows.length) await query(text, values);
        else await perRow(rows);
        continue;
      }
      // An upsert that meets one key twice in a statement fails (21000) where row-by-row would
      // simply update twice; the savepoint lets that batch fall back to row-by-row.
      await query('SAVEPOINT cairn_run_many', []);
      try {
        await query(text, values);
      } catch (err) {
        if (errorCode(isCairnError(err) ? err.cause : err) !== '21000') throw err;
        await query('ROLLBACK TO SAVEPOINT cairn_run_many', []);
        state.failure = undefined;
        await perRow(rows);
      }
      await query('RELEASE SAVEPOINT cairn_run_many', []);
    }
  }

  async #query<T extends Row>(
    on: pg.Pool | pg.PoolClient,
    text: string,
    params: readonly SqlValue[],
  ): Promise<pg.QueryResult<T>> {
    try {
      return await on.query<T>(text, params as SqlValue[]);
    } catch (err) {
      throw toCairnError(err, this.displayUri);
    }
  }

  #text(sql: string): string {
    let text = this.#numbered.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      remember(this.#numbered, sql, text);
    }
    return text;
  }

  #shape(sql: string): InsertValuesShape | undefined {
    if (this.#shapes.has(sql)) return this.#shapes.get(sql);
    const shape = insertValuesShape(sql);
    remember(this.#shapes, sql, shape);
    return shape;
  }

  #batch(sql: string, shape: InsertValuesShape, rows: number): string {
    const key = `${rows}\u0000${sql}`;
    let text = this.#batches.get(key);
    if (text === undefined) {
      text = multiRowInsert(shape, rows);
      remember(this.#batches, key, text);
    }
    return text;
  }
}

/** A cache that forgets everything when full: callers with generated SQL cannot grow it forever. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= TEXT_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
