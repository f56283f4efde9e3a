import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CairnError } from '../../kernel/errors.ts';
import type { PromotionStore } from '../../registry/promotion/promotion-store.ts';
import type { NewVersionCheck, VersionCheck } from '../../registry/promotion/promotion-types.ts';
import { SqlPromotionStore } from '../../registry/promotion/sql/sql-promotion-store.ts';
import { roleAllows } from '../../security/roles.ts';
import { principalOf } from '../auth/install-auth.ts';
import type { RouteModule, ServerDeps } from '../create-server.ts';
import {
  ALIAS_HISTORY_ROUTE_SCHEMA,
  CHECK_PROMOTION_ROUTE_SCHEMA,
  DELETE_ALIAS_ROUTE_SCHEMA,
  LIST_CHECKS_ROUTE_SCHEMA,
  MOVE_ALIAS_ROUTE_SCHEMA,
  RECORD_CHECK_ROUTE_SCHEMA,
} from './promotion-schemas.ts';

const made = new WeakMap<ServerDeps, PromotionStore>();

/** The server's promotion store: the one in ServerDeps (with its gate policy), or one without gates. */
export function promotionOf(deps: ServerDeps): PromotionStore {
  if (deps.promotion) return deps.promotion;
  let store = made.get(deps);
  if (!store) {
    store = new SqlPromotionStore(deps.metadata);
    made.set(deps, store);
  }
  return store;
}

/**
 * Who a request acts as, for the audit trail: the authenticated user or token; without
 * authentication, the name the client gave (`actor`), else "anonymous".
 */
export function actorOf(request: FastifyRequest, given?: string): string {
  const principal = principalOf(request);
  if (principal) return principal.name;
  return given?.trim() || 'anonymous';
}

/**
 * Cairn's promotion API under /api/v1: results on versions, the promotion check, guarded alias
 * moves and the audit trail. Handlers translate; PromotionStore decides.
 */
export const promotionRoutes: RouteModule = (app: FastifyInstance, deps) => {
  const promotion = () => promotionOf(deps);
  type VersionParams = { name: string; version: string };
  type AliasParams = { name: string; alias: string };

  app.post<{ Params: VersionParams; Body: NewVersionCheck & { actor?: string } }>(
    '/models/:name/versions/:version/checks',
    { schema: RECORD_CHECK_ROUTE_SCHEMA },
    async (request) => {
      const { actor, ...check } = request.body;
      return promotion().recordCheck(
        request.params.name,
        request.params.version,
        check,
        actorOf(request, actor),
      );
    },
  );
  app.get<{ Params: VersionParams; Querystring: { kind?: VersionCheck['kind']; gate?: string } }>(
    '/models/:name/versions/:version/checks',
    { schema: LIST_CHECKS_ROUTE_SCHEMA },
    async (request) => ({
      checks: await promotion().listChecks(request.params.name, request.params.version, request.query),
    }),
  );
  app.get<{ Params: VersionParams; Querystring: { alias: string } }>(
    '/models/:name/versions/:version/promotion',
    { schema: CHECK_PROMOTION_ROUTE_SCHEMA },
    async (request) =>
      promotion().checkPromotion(request.params.name, request.query.alias, request.params.version),
  );
  app.post<{
    Params: VersionParams;
    Body: { alias: string; force?: boolean; reason?: string; actor?: string };
  }>('/models/:name/versions/:version/promote', { schema: MOVE_ALIAS_ROUTE_SCHEMA }, async (request) => {
    const { alias, force, reason, actor } = request.body;
    const principal = principalOf(request);
    if (force && principal && !roleAllows(principal.role, 'admin'))
      throw new CairnError(
        'PERMISSION_DENIED',
        `${principal.name} has the ${principal.role} role; forcing a promotion past its gates needs admin`,
        { details: { role: principal.role, required: 'admin' } },
      );
    return promotion().moveAlias({
      name: request.params.name,
      alias,
      version: request.params.version,
      ...(force !== undefined ? { force } : {}),
      ...(reason !== undefined ? { reason } : {}),
      actor: actorOf(request, actor),
    });
  });
  app.delete<{ Params: AliasParams; Querystring: { actor?: string } }>(
    '/models/:name/aliases/:alias',
    { schema: DELETE_ALIAS_ROUTE_SCHEMA },
    async (request) => {
      const event = await promotion().deleteAlias(
        request.params.name,
        request.params.alias,
        actorOf(request, request.query.actor),
      );
      return event ? { event } : {};
    },
  );
  app.get<{ Params: { name: string } }>(
    '/models/:name/alias-history',
    { schema: ALIAS_HISTORY_ROUTE_SCHEMA },
    async (request) => ({ events: await promotion().aliasHistory(request.params.name) }),
  );
};
