import type { LoggedModelStore } from '../../tracking/logged-model-store.ts';
import { SqlLoggedModelStore } from '../../tracking/sql/sql-logged-model-store.ts';
import type { ServerDeps } from '../create-server.ts';

const made = new WeakMap<ServerDeps, LoggedModelStore>();

/** The server's logged-model store: the one in ServerDeps, or one SQL store per deps object. */
export function loggedModelsOf(deps: ServerDeps): LoggedModelStore {
  if (deps.loggedModels) return deps.loggedModels;
  let store = made.get(deps);
  if (!store) {
    store = new SqlLoggedModelStore(deps.metadata, deps.tracking);
    made.set(deps, store);
  }
  return store;
}
