/**
 * The metadata store: Cairn's relational state (stat cache, data profiles, tracking, registry).
 *
 * Each domain module owns its tables and writes its SQL once, in the portable subset that SQLite
 * and PostgreSQL share: `?` placeholders (rewritten to `$n` for PostgreSQL), `ON CONFLICT … DO`,
 * `RETURNING`, integers for timestamps (milliseconds). Where DDL differs, a migration gives both texts.
 */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
export type Row = Record<string, unknown>;

/** Statements that run either on the store or inside a transaction. */
export interface SqlExecutor {
  /** Every row of a query. */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; `changes` is the number of rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs the same statement once per parameter list (one round trip per batch where possible). */
  runMany(sql: string, paramsList: readonly (readonly SqlValue[])[]): Promise<void>;
}

/** One schema change. `id` orders migrations ("<area>-<nnn>-<what>"), and is recorded once applied. */
export interface Migration {
  id: string;
  sql: string | { sqlite: string; postgres: string };
}

export interface MetadataStore extends SqlExecutor {
  readonly dialect: Dialect;
  /** Where the store lives, with any password removed (for messages and logs). */
  readonly displayUri: string;
  /**
   * Runs `fn` in one serializable transaction: committed when it resolves, rolled back when it
   * throws. Concurrent transactions behave as if they ran one after another. A backend may run
   * `fn` again after a serialization conflict, so `fn` must touch nothing but `tx`.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Applies the migrations not applied yet, in id order, each in its own transaction. */
  migrate(migrations: readonly Migration[]): Promise<string[]>;
  /** Resolves when the store answers a trivial query (for readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
