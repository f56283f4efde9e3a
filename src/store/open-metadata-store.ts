import { errors } from '../kernel/errors.ts';
import type { MetadataStore, Migration } from './metadata-store.ts';
import { redact } from './redact-uri.ts';

export { redact } from './redact-uri.ts';

/**
 * Opens the metadata store a URI names and applies `migrations`:
 * `sqlite:///abs/path.db`, `sqlite://:memory:`, or `postgresql://user:pass@host:port/db`.
 * The PostgreSQL driver is loaded only when a PostgreSQL URI is given.
 */
export async function openMetadataStore(
  uri: string,
  migrations: readonly Migration[] = [],
): Promise<MetadataStore> {
  const store = await connect(uri);
  try {
    await store.migrate(migrations);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

async function connect(uri: string): Promise<MetadataStore> {
  if (uri.startsWith('sqlite://')) {
    const path = decodeURIComponent(uri.slice('sqlite://'.length));
    if (path !== ':memory:' && !path.startsWith('/'))
      throw errors.invalid(`metadata URI ${uri} must name an absolute path (sqlite:///abs/path.db)`);
    const { SqliteMetadataStore } = await import('./sqlite/sqlite-metadata-store.ts');
    return new SqliteMetadataStore({ path });
  }
  if (uri.startsWith('postgresql://') || uri.startsWith('postgres://')) {
    const { PostgresMetadataStore } = await import('./postgres/postgres-metadata-store.ts');
    const store = new PostgresMetadataStore({ connectionString: uri });
    await store.ping();
    return store;
  }
  throw errors.invalid(`unsupported metadata URI ${redact(uri)}`, {
    hint: 'use sqlite:///abs/path.db or postgresql://user:password@host:5432/db',
  });
}
