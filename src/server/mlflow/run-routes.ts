import { errors } from '../../kernel/errors.ts';
import {
  runInfoToJson,
  runStatusFromJson,
  runToJson,
  viewTypeFromJson,
} from '../../tracking/http/mlflow-wire.ts';
import { RUN_STATUSES, type Tag } from '../../tracking/tracking-types.ts';
import type { RouteModule } from '../create-server.ts';
import { loggedModelsOf } from './logged-models-of.ts';
import { body, enumValue, int64, query, required, tagList, text, textList } from './mlflow-schemas.ts';

interface CreateRunFields {
  experiment_id: string;
  user_id?: string;
  run_name?: string;
  start_time?: number;
  tags?: Tag[];
}

interface UpdateRunFields {
  run_id: string;
  status?: string | number;
  end_time?: number;
  run_name?: string;
}

interface SearchRunFields {
  experiment_ids?: string[];
  filter?: string;
  run_view_type?: string | number;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

const byRunId = { schema: { body: body({ run_id: required }, ['run_id']) } };

/** MLflow's run endpoints: create, get, update, delete, restore, search. */
export const runRoutes: RouteModule = (app, deps) => {
  const tracking = deps.tracking;

  app.post<{ Body: CreateRunFields }>(
    '/runs/create',
    {
      schema: {
        body: body(
          { experiment_id: required, user_id: text, run_name: text, start_time: int64, tags: tagList },
          ['experiment_id'],
        ),
      },
    },
    async (request) => {
      const { experiment_id, user_id, run_name, start_time, tags } = request.body;
      const run = await tracking.createRun({
        experiment_id,
        ...(user_id ? { user_id } : {}),
        ...(run_name ? { run_name } : {}),
        // MLflow's clients always send start_time; 0 is an unset proto field.
        ...(start_time ? { start_time } : {}),
        ...(tags?.length ? { tags: tags.map((t) => ({ key: t.key, value: t.value ?? '' })) } : {}),
      });
      return { run: runToJson(run) };
    },
  );

  app.get<{ Querystring: { run_id: string } }>(
    '/runs/get',
    { schema: { querystring: query({ run_id: required, run_uuid: text }, ['run_id']) } },
    async (request) => {
      const run = await tracking.getRun(request.query.run_id);
      const loggedModels = loggedModelsOf(deps);
      return {
        run: runToJson(run, {
          outputs: await loggedModels.runOutputs(run.info.run_id),
          modelInputs: await loggedModels.runModelInputs(run.info.run_id),
        }),
      };
    },
  );

  app.post<{ Body: UpdateRunFields }>(
    '/runs/update',
    {
      schema: {
        body: body({ run_id: required, status: enumValue, end_time: int64, run_name: text }, ['run_id']),
      },
    },
    async (request) => {
      const { run_id, status, end_time, run_name } = request.body;
      const runStatus = status === undefined ? undefined : runStatusFromJson(status);
      if (status !== undefined && runStatus === undefined)
        throw errors.invalid(
          `Invalid value ${JSON.stringify(status)} for parameter 'status' supplied: use one of ${RUN_STATUSES.join(', ')}`,
        );
      const info = await tracking.updateRun(run_id, {
        ...(runStatus ? { status: runStatus } : {}),
        ...(end_time !== undefined ? { end_time } : {}),
        ...(run_name ? { run_name } : {}),
      });
      return { run_info: runInfoToJson(info) };
    },
  );

  app.post<{ Body: { run_id: string } }>('/runs/delete', byRunId, async (request) => {
    await tracking.deleteRun(request.body.run_id);
    return {};
  });
  app.post<{ Body: { run_id: string } }>('/runs/restore', byRunId, async (request) => {
    await tracking.restoreRun(request.body.run_id);
    return {};
  });

  app.post<{ Body: SearchRunFields }>(
    '/runs/search',
    {
      schema: {
        body: body({
          experiment_ids: textList,
          filter: text,
          run_view_type: enumValue,
          max_results: int64,
          order_by: textList,
          page_token: text,
        }),
      },
    },
    async (request) => {
      const fields = request.body;
      const view = viewTypeFromJson(fields.run_view_type, 'run_view_type');
      const page = await tracking.searchRuns({
        experiment_ids: fields.experiment_ids ?? [],
        ...(fields.filter ? { filter: fields.filter } : {}),
        ...(view ? { run_view_type: view } : {}),
        ...(fields.max_results !== undefined ? { max_results: fields.max_results } : {}),
        ...(fields.order_by?.length ? { order_by: fields.order_by } : {}),
        ...(fields.page_token ? { page_token: fields.page_token } : {}),
      });
      const outputs = await loggedModelsOf(deps).runOutputsMany(page.items.map((r) => r.info.run_id));
      return {
        ...(page.items.length > 0
          ? { runs: page.items.map((r) => runToJson(r, { outputs: outputs.get(r.info.run_id) ?? [] })) }
          : {}),
        ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
      };
    },
  );
};
