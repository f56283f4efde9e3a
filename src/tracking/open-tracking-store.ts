import { errors } from '../kernel/errors.ts';
import { openMetadataStore, redact } from '../store/open-metadata-store.ts';
import type { MlflowHttpClientOptions } from './http/mlflow-http-client.ts';
import type { TrackingStore } from './tracking-store.ts';

export interface OpenTrackingStoreOptions extends Omit<MlflowHttpClientOptions, 'uri'> {
  /**
   * For `sqlite:///…` and `postgresql://…`: where new experiments keep their artifacts
   * (`<root>/<experiment id>`), e.g. `file:///abs/artifacts` or `mlflow-artifacts:`. Required there;
   * a tracking server decides it for itself over http(s).
   */
  defaultArtifactRoot?: string;
}

export interface OpenedTrackingStore {
  store: TrackingStore;
  /** Releases the database connection (a no-op for a server). */
  close(): Promise<void>;
}

/**
 * Opens the tracking store a URI names: `sqlite:///abs/path.db` or `postgresql://…` → the SQL
 * store on that database (tracking tables migrated), `http(s)://host[:port][/prefix]` → an MLflow
 * REST client of that server (`cairn server` or `mlflow server`). Backends load only when used.
 *
 * @example
 * const { store, close } = await openTrackingStore('http://127.0.0.1:5000', { token });
 * const { store } = await openTrackingStore('sqlite:///srv/cairn.db', { defaultArtifactRoot: 'file:///srv/artifacts' });
 */
export async function openTrackingStore(
  uri: string,
  options: OpenTrackingStoreOptions = {},
): Promise<OpenedTrackingStore> {
  if (/^https?:\/\//i.test(uri)) {
    const { HttpTrackingStore } = await import('./http/http-tracking-store.ts');
    const { defaultArtifactRoot: _unused, ...http } = options;
    return { store: new HttpTrackingStore({ ...http, uri }), close: async () => undefined };
  }
  if (/^(sqlite|postgres|postgresql):\/\//i.test(uri)) {
    if (options.defaultArtifactRoot === undefined || options.defaultArtifactRoot === '')
      throw errors.invalid(`opening the tracking store ${redact(uri)} needs a default artifact root`, {
        hint: 'pass defaultArtifactRoot, e.g. file:///abs/artifacts',
      });
    const [{ SqlTrackingStore }, { TRACKING_MIGRATIONS }] = await Promise.all([
      import('./sql/sql-tracking-store.ts'),
      import('./sql/tracking-migrations.ts'),
    ]);
    const metadata = await openMetadataStore(uri, TRACKING_MIGRATIONS);
    const store = new SqlTrackingStore(metadata, { defaultArtifactRoot: options.defaultArtifactRoot });
    return { store, close: () => metadata.close() };
  }
  throw errors.invalid(`unsupported tracking URI ${redact(uri)}`, {
    hint: 'use sqlite:///abs/path.db, postgresql://user:password@host:5432/db or http(s)://host:port',
  });
}
