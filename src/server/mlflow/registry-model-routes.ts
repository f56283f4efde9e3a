import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tag } from '../../registry/registry-types.ts';
import { actorOf, promotionOf } from '../api/promotion-routes.ts';
import type { RouteModule } from '../create-server.ts';
import { mlflowModelVersion, mlflowRegisteredModel } from './registry-json.ts';
import { REGISTRY_SCHEMAS as S } from './registry-schemas.ts';

interface SearchFields {
  filter?: string;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

/** A search's fields: MLflow clients send them in the query string; some UIs POST them. */
export function searchFields(request: FastifyRequest): SearchFields {
  const raw = (request.method === 'GET' ? request.query : request.body) as SearchFields | null | undefined;
  const out: SearchFields = {};
  if (raw?.filter) out.filter = raw.filter;
  if (raw?.max_results !== undefined) out.max_results = raw.max_results;
  if (raw?.order_by?.length) out.order_by = raw.order_by;
  if (raw?.page_token) out.page_token = raw.page_token;
  return out;
}

/**
 * MLflow's registered-model endpoints (mounted under /api/2.0/mlflow and /ajax-api/2.0/mlflow):
 * create, get, rename, update, delete, search, get-latest-versions, set-tag, delete-tag, and
 * aliases (POST/DELETE/GET registered-models/alias). Handlers translate; RegistryStore decides.
 */
export const registryModelRoutes: RouteModule = (app: FastifyInstance, deps) => {
  const { registry } = deps;
  const empty = {};

  app.post<{ Body: { name: string; tags?: Tag[]; description?: string } }>(
    '/registered-models/create',
    { schema: S.createModel },
    async (request) => {
      const { name, tags, description } = request.body;
      const model = await registry.createRegisteredModel(name, {
        ...(tags ? { tags } : {}),
        ...(description ? { description } : {}),
      });
      return { registered_model: mlflowRegisteredModel(model) };
    },
  );
  app.get<{ Querystring: { name: string } }>(
    '/registered-models/get',
    { schema: S.nameQuery },
    async (request) => ({
      registered_model: mlflowRegisteredModel(await registry.getRegisteredModel(request.query.name)),
    }),
  );
  app.post<{ Body: { name: string; new_name?: string } }>(
    '/registered-models/rename',
    { schema: S.renameModel },
    async (request) => ({
      registered_model: mlflowRegisteredModel(
        await registry.renameRegisteredModel(request.body.name, request.body.new_name ?? ''),
      ),
    }),
  );
  app.patch<{ Body: { name: string; description?: string } }>(
    '/registered-models/update',
    { schema: S.updateModel },
    async (request) => ({
      registered_model: mlflowRegisteredModel(
        await registry.updateRegisteredModel(request.body.name, request.body.description ?? ''),
      ),
    }),
  );
  app.delete<{ Body: { name: string } }>(
    '/registered-models/delete',
    { schema: S.nameBody },
    async (request) => {
      await registry.deleteRegisteredModel(request.body.name);
      return empty;
    },
  );
  const search = async (request: FastifyRequest) => {
    const page = await registry.searchRegisteredModels(searchFields(request));
    return {
      ...(page.items.length > 0 ? { registered_models: page.items.map(mlflowRegisteredModel) } : {}),
      ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
    };
  };
  app.get('/registered-models/search', { schema: S.searchQuery }, search);
  app.post('/registered-models/search', { schema: S.searchBody }, search);
  const latest = async (name: string, stages: string[] | undefined) => {
    const versions = await registry.getLatestVersions(name, stages?.length ? stages : undefined);
    return versions.length > 0 ? { model_versions: versions.map(mlflowModelVersion) } : {};
  };
  app.post<{ Body: { name: string; stages?: string[] } }>(
    '/registered-models/get-latest-versions',
    { schema: S.latestVersionsBody },
    async (request) => latest(request.body.name, request.body.stages),
  );
  app.get<{ Querystring: { name: string; stages?: string[] } }>(
    '/registered-models/get-latest-versions',
    { schema: S.latestVersionsQuery },
    async (request) => latest(request.query.name, request.query.stages),
  );
  app.post<{ Body: { name: string; key: string; value: string } }>(
    '/registered-models/set-tag',
    { schema: S.modelTag },
    async (request) => {
      const { name, key, value } = request.body;
      await registry.setRegisteredModelTag(name, { key, value });
      return empty;
    },
  );
  app.delete<{ Body: { name: string; key: string } }>(
    '/registered-models/delete-tag',
    { schema: S.deleteModelTag },
    async (request) => {
      await registry.deleteRegisteredModelTag(request.body.name, request.body.key);
      return empty;
    },
  );
  app.post<{ Body: { name: string; alias: string; version: string } }>(
    '/registered-models/alias',
    { schema: S.setAlias },
    async (request) => {
      const { name, alias, version } = request.body;
      // Through promotion: gated aliases are enforced and every move lands in the audit trail.
      await promotionOf(deps).moveAlias({ name, alias, version, actor: actorOf(request) });
      return empty;
    },
  );
  app.delete<{ Body: { name: string; alias: string } }>(
    '/registered-models/alias',
    { schema: S.deleteAlias },
    async (request) => {
      await promotionOf(deps).deleteAlias(request.body.name, request.body.alias, actorOf(request));
      return empty;
    },
  );
  app.get<{ Querystring: { name: string; alias: string } }>(
    '/registered-models/alias',
    { schema: S.aliasQuery },
    async (request) => ({
      model_version: mlflowModelVersion(
        await registry.getModelVersionByAlias(request.query.name, request.query.alias),
      ),
    }),
  );
};
