import type { PromotionStore } from '../promotion/promotion-store.ts';
import type { AliasMove, NewVersionCheck } from '../promotion/promotion-types.ts';
import type { RegistryEvents } from './registry-events.ts';

/**
 * `store` with events: an alias moved (`model_version_alias.created`, with the version it left),
 * an alias deleted, and a gate result recorded (`gate_result.created`). Only committed changes
 * publish: a refused move publishes nothing.
 */
export function withPromotionEvents(store: PromotionStore, events: RegistryEvents): PromotionStore {
  return {
    async recordCheck(name: string, version: string, check: NewVersionCheck, actor: string) {
      const recorded = await store.recordCheck(name, version, check, actor);
      if (recorded.kind === 'gate')
        events.publish({
          type: 'gate_result.created',
          name: recorded.name,
          version: recorded.version,
          gate: recorded.gate ?? '',
          passed: recorded.passed === true,
          check_id: recorded.id,
        });
      return recorded;
    },
    listChecks: (...args) => store.listChecks(...args),
    checkPromotion: (...args) => store.checkPromotion(...args),
    async moveAlias(move: AliasMove) {
      const moved = await store.moveAlias(move);
      events.publish({
        type: 'model_version_alias.created',
        name: moved.name,
        alias: moved.alias,
        version: moved.to_version ?? move.version,
        ...(moved.from_version !== undefined && moved.from_version !== moved.to_version
          ? { previous_version: moved.from_version }
          : {}),
      });
      return moved;
    },
    async deleteAlias(name: string, alias: string, actor: string) {
      const deleted = await store.deleteAlias(name, alias, actor);
      // As MLflow: deleting an alias is an event even when the alias was not set.
      events.publish({ type: 'model_version_alias.deleted', name, alias });
      return deleted;
    },
    aliasHistory: (...args) => store.aliasHistory(...args),
  };
}
