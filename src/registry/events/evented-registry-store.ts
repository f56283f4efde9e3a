import type { RegistryStore } from '../registry-store.ts';
import type { Tag } from '../registry-types.ts';
import type { RegistryEvents } from './registry-events.ts';

function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

/**
 * `store` with an event published after each change MLflow sends a webhook for: a model or
 * version created, a version tag set or deleted, an alias set or deleted. Reads, and changes
 * without an event, go straight to `store`. A change that fails publishes nothing.
 */
export function withRegistryEvents(store: RegistryStore, events: RegistryEvents): RegistryStore {
  const overrides: Partial<RegistryStore> = {
    async createRegisteredModel(...args: Parameters<RegistryStore['createRegisteredModel']>) {
      const model = await store.createRegisteredModel(...args);
      events.publish({
        type: 'registered_model.created',
        name: model.name,
        tags: tagMap(model.tags),
        description: model.description || null,
      });
      return model;
    },
    async createModelVersion(...args: Parameters<RegistryStore['createModelVersion']>) {
      const version = await store.createModelVersion(...args);
      events.publish({
        type: 'model_version.created',
        name: version.name,
        version: version.version,
        source: version.source,
        run_id: version.run_id || null,
        tags: tagMap(version.tags),
        description: version.description || null,
      });
      return version;
    },
    async setModelVersionTag(name: string, version: string, tag: Tag) {
      await store.setModelVersionTag(name, version, tag);
      events.publish({ type: 'model_version_tag.set', name, version, key: tag.key, value: tag.value });
    },
    async deleteModelVersionTag(name: string, version: string, key: string) {
      await store.deleteModelVersionTag(name, version, key);
      events.publish({ type: 'model_version_tag.deleted', name, version, key });
    },
    async setRegisteredModelAlias(name: string, alias: string, version: string) {
      const before = await store
        .getModelVersionByAlias(name, alias)
        .then((v) => v.version)
        .catch(() => undefined);
      await store.setRegisteredModelAlias(name, alias, version);
      events.publish({
        type: 'model_version_alias.created',
        name,
        alias,
        version,
        ...(before !== undefined && before !== version ? { previous_version: before } : {}),
      });
    },
    async deleteRegisteredModelAlias(name: string, alias: string) {
      await store.deleteRegisteredModelAlias(name, alias);
      events.publish({ type: 'model_version_alias.deleted', name, alias });
    },
  };
  // Every other member is the store's own, bound to it (its private fields need the real `this`).
  return new Proxy(store, {
    get(target, prop) {
      const own = (overrides as Record<PropertyKey, unknown>)[prop];
      if (own !== undefined) return own;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
