import type { Dialect, Migration, SqlExecutor } from './metadata-store.ts';

/** The bookkeeping table both dialects share. */
export const MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS cairn_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)';

export function migrationSql(migration: Migration, dialect: Dialect): string {
  return typeof migration.sql === 'string' ? migration.sql : migration.sql[dialect];
}

/** Checks that migration ids are unique and returns them sorted by id. */
export function orderMigrations(migrations: readonly Migration[]): Migration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    seen.add(m.id);
  }
  return [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Applies each pending migration in its own transaction. `exec` runs a script of several
 * statements; `transaction` is the store's own.
 */
export async function applyMigrations(
  migrations: readonly Migration[],
  dialect: Dialect,
  store: {
    all: SqlExecutor['all'];
    transaction<T>(fn: (tx: SqlExecutor & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  },
): Promise<string[]> {
  const applied = new Set(
    (await store.all<{ id: string }>('SELECT id FROM cairn_migrations')).map((r) => r.id),
  );
  const done: string[] = [];
  for (const migration of orderMigrations(migrations)) {
    if (applied.has(migration.id)) continue;
    const ran = await store.transaction(async (tx) => {
      // Another process may have applied it since we looked; the primary key settles the race.
      const again = await tx.get('SELECT id FROM cairn_migrations WHERE id = ?', [migration.id]);
      if (again) return false;
      await tx.exec(migrationSql(migration, dialect));
      await tx.run('INSERT INTO cairn_migrations (id, applied_at) VALUES (?, ?)', [migration.id, Date.now()]);
      return true;
    });
    if (ran) done.push(migration.id);
  }
  return done;
}
