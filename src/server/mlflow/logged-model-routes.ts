import type { FastifyInstance } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import {
  LOGGED_MODEL_STATUSES,
  type LoggedModelParam,
  type LoggedModelStatus,
  type ModelOutput,
  type SearchLoggedModelsOptions,
  type Tag,
} from '../../tracking/logged-model-types.ts';
import type { RouteModule } from '../create-server.ts';
import { listArtifactDirectory } from './logged-model-artifacts.ts';
import { LOGGED_MODEL_SCHEMAS as S } from './logged-model-schemas.ts';
import { mlflowLoggedModel } from './registry-json.ts';
import { type RegistryServiceOptions, registryServices } from './registry-services.ts';

type ById = { Params: { model_id: string } };

/** The proto enum: 1 PENDING, 2 READY, 3 UPLOAD_FAILED; clients send names. */
function statusOf(value: string | number): LoggedModelStatus {
  const number = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : undefined;
  const status = number !== undefined ? LOGGED_MODEL_STATUSES[number - 1] : value;
  if (status === undefined || !LOGGED_MODEL_STATUSES.includes(status as LoggedModelStatus))
    throw errors.invalid(
      `Invalid value ${JSON.stringify(value)} for parameter 'status': use one of ${LOGGED_MODEL_STATUSES.join(', ')}`,
    );
  return status as LoggedModelStatus;
}

const pairs = <T extends { key: string; value?: string }>(items: readonly T[] | undefined) =>
  (items ?? []).map((i) => ({ key: i.key, value: i.value ?? '' }));

/**
 * MLflow 3's logged-model endpoints, which `mlflow.<flavor>.log_model` calls: create, get,
 * finalize (PATCH), delete, search, set/delete tags, log params, list artifacts; and
 * `POST runs/outputs`, which links a run to the models it produced.
 */
export function mlflowLoggedModelRoutes(options: RegistryServiceOptions = {}): RouteModule {
  return (app: FastifyInstance, deps, server) => {
    const { loggedModels, locate } = registryServices(deps, {
      registrationWaitMs: server.registrationWaitMs,
      ...options,
    });
    const empty = {};

    app.post<{
      Body: {
        experiment_id: string;
        name?: string;
        model_type?: string;
        source_run_id?: string;
        params?: LoggedModelParam[];
        tags?: Tag[];
      };
    }>('/logged-models', { schema: S.create }, async (request) => {
      const b = request.body;
      const model = await loggedModels.createLoggedModel({
        experiment_id: b.experiment_id,
        ...(b.name ? { name: b.name } : {}),
        ...(b.model_type ? { model_type: b.model_type } : {}),
        ...(b.source_run_id ? { source_run_id: b.source_run_id } : {}),
        params: pairs(b.params),
        tags: pairs(b.tags),
      });
      return { model: mlflowLoggedModel(model) };
    });
    app.post<{ Body: SearchLoggedModelsOptions }>(
      '/logged-models/search',
      { schema: S.search },
      async (request) => {
        const b = request.body;
        const page = await loggedModels.searchLoggedModels({
          experiment_ids: b.experiment_ids,
          ...(b.filter ? { filter: b.filter } : {}),
          ...(b.datasets?.length ? { datasets: b.datasets } : {}),
          ...(b.max_results ? { max_results: b.max_results } : {}),
          ...(b.order_by?.length ? { order_by: b.order_by } : {}),
          ...(b.page_token ? { page_token: b.page_token } : {}),
        });
        return {
          ...(page.items.length > 0 ? { models: page.items.map(mlflowLoggedModel) } : {}),
          ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
        };
      },
    );
    app.get<ById & { Querystring: { allow_deleted?: boolean } }>(
      '/logged-models/:model_id',
      { schema: S.get },
      async (request) => ({
        model: mlflowLoggedModel(
          await loggedModels.getLoggedModel(request.params.model_id, request.query.allow_deleted ?? false),
        ),
      }),
    );
    app.patch<ById & { Body: { status: string | number } }>(
      '/logged-models/:model_id',
      { schema: S.finalize },
      async (request) => ({
        model: mlflowLoggedModel(
          await loggedModels.finalizeLoggedModel(request.params.model_id, statusOf(request.body.status)),
        ),
      }),
    );
    app.delete<ById>('/logged-models/:model_id', { schema: S.byId }, async (request) => {
      await loggedModels.deleteLoggedModel(request.params.model_id);
      return empty;
    });
    app.patch<ById & { Body: { tags?: Tag[] } }>(
      '/logged-models/:model_id/tags',
      { schema: S.setTags },
      async (request) => {
        await loggedModels.setLoggedModelTags(request.params.model_id, pairs(request.body.tags));
        return empty;
      },
    );
    app.delete<{ Params: { model_id: string; tag_key: string } }>(
      '/logged-models/:model_id/tags/:tag_key',
      { schema: S.deleteTag },
      async (request) => {
        await loggedModels.deleteLoggedModelTag(request.params.model_id, request.params.tag_key);
        return empty;
      },
    );
    app.post<ById & { Body: { params?: LoggedModelParam[] } }>(
      '/logged-models/:model_id/params',
      { schema: S.logParams },
      async (request) => {
        await loggedModels.logLoggedModelParams(request.params.model_id, pairs(request.body.params));
        return empty;
      },
    );
    app.get<ById & { Querystring: { artifact_directory_path?: string } }>(
      '/logged-models/:model_id/artifacts/directories',
      { schema: S.listArtifacts },
      async (request) => {
        const model = await loggedModels.getLoggedModel(request.params.model_id);
        const root = model.info.artifact_uri;
        const files = await listArtifactDirectory(locate, root, request.query.artifact_directory_path ?? '');
        return { root_uri: root, ...(files.length > 0 ? { files } : {}) };
      },
    );
    app.post<{ Body: { run_id: string; models: ModelOutput[] } }>(
      '/runs/outputs',
      { schema: S.logOutputs },
      async (request) => {
        await loggedModels.logOutputs(request.body.run_id, request.body.models);
        return empty;
      },
    );
  };
}

/** The logged-model endpoints with the default services (see registryServices). */
export const loggedModelRoutes: RouteModule = mlflowLoggedModelRoutes();
