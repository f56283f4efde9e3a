import { type OpenedTrackingStore, openTrackingStore } from '../tracking/open-tracking-store.ts';
import type { TrackingTarget } from './tracking-uri.ts';

export type { OpenedTrackingStore } from '../tracking/open-tracking-store.ts';

/**
 * Opens the store a resolved target names, through the tracking store factory: SQLite or
 * PostgreSQL → the SQL store, http(s) → a tracking server's REST API.
 */
export function openTrackingTarget(target: TrackingTarget): Promise<OpenedTrackingStore> {
  return openTrackingStore(target.uri, {
    defaultArtifactRoot: target.defaultArtifactRoot,
    ...(target.token ? { token: target.token } : {}),
    ...(target.username !== undefined ? { username: target.username, password: target.password ?? '' } : {}),
  });
}
