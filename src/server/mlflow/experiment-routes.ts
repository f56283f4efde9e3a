import { errors } from '../../kernel/errors.ts';
import { experimentToJson, viewTypeFromJson } from '../../tracking/http/mlflow-wire.ts';
import type { Tag } from '../../tracking/tracking-types.ts';
import { experimentArtifactLocation, storagePolicyFor } from '../artifacts/artifact-location.ts';
import { artifactRootOf } from '../artifacts/artifact-root.ts';
import type { RouteModule } from '../create-server.ts';
import { body, enumValue, int64, query, required, tagList, text, textList } from './mlflow-schemas.ts';

/** MLflow refuses an experiment id that is not an integer before looking it up. */
function experimentId(id: string): string {
  if (!/^\d+$/.test(id))
    throw errors.invalid(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
  return id;
}

interface SearchFields {
  filter?: string;
  view_type?: string | number;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

const searchSchema = {
  filter: text,
  view_type: enumValue,
  max_results: int64,
  order_by: textList,
  page_token: text,
};

/**
 * MLflow's experiment endpoints: create, get, get-by-name, search (GET and POST), update,
 * delete, restore, set-experiment-tag, delete-experiment-tag.
 */
export const experimentRoutes: RouteModule = (app, deps) => {
  const tracking = deps.tracking;
  const policy = storagePolicyFor(artifactRootOf(deps).uri);

  app.post<{ Body: { name: string; artifact_location?: string; tags?: Tag[] } }>(
    '/experiments/create',
    { schema: { body: body({ name: required, artifact_location: text, tags: tagList }, ['name']) } },
    async (request) => {
      const { name, artifact_location: given, tags } = request.body;
      const location = given ? experimentArtifactLocation(given, 'artifact_location', policy) : undefined;
      const id = await tracking.createExperiment(name, {
        ...(location ? { artifact_location: location } : {}),
        tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
      });
      return { experiment_id: id };
    },
  );

  app.get<{ Querystring: { experiment_id: string } }>(
    '/experiments/get',
    { schema: { querystring: query({ experiment_id: required }, ['experiment_id']) } },
    async (request) => ({
      experiment: experimentToJson(await tracking.getExperiment(experimentId(request.query.experiment_id))),
    }),
  );

  app.get<{ Querystring: { experiment_name: string } }>(
    '/experiments/get-by-name',
    { schema: { querystring: query({ experiment_name: required }, ['experiment_name']) } },
    async (request) => {
      const name = request.query.experiment_name;
      const experiment = await tracking.getExperimentByName(name);
      if (!experiment) throw errors.notFound(`Could not find experiment with name '${name}'`);
      return { experiment: experimentToJson(experiment) };
    },
  );

  const search = async (fields: SearchFields) => {
    const view = viewTypeFromJson(fields.view_type, 'view_type');
    const page = await tracking.searchExperiments({
      ...(fields.filter ? { filter: fields.filter } : {}),
      ...(view ? { view_type: view } : {}),
      ...(fields.max_results !== undefined ? { max_results: fields.max_results } : {}),
      ...(fields.order_by?.length ? { order_by: fields.order_by } : {}),
      ...(fields.page_token ? { page_token: fields.page_token } : {}),
    });
    return {
      ...(page.items.length > 0 ? { experiments: page.items.map(experimentToJson) } : {}),
      ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
    };
  };
  app.post<{ Body: SearchFields }>(
    '/experiments/search',
    { schema: { body: body(searchSchema) } },
    async (request) => search(request.body),
  );
  app.get<{ Querystring: SearchFields }>(
    '/experiments/search',
    { schema: { querystring: query(searchSchema) } },
    async (request) => search(request.query),
  );

  app.post<{ Body: { experiment_id: string; new_name: string } }>(
    '/experiments/update',
    {
      schema: {
        body: body({ experiment_id: required, new_name: required }, ['experiment_id', 'new_name']),
      },
    },
    async (request) => {
      await tracking.renameExperiment(experimentId(request.body.experiment_id), request.body.new_name);
      return {};
    },
  );

  const byId = { schema: { body: body({ experiment_id: required }, ['experiment_id']) } };
  app.post<{ Body: { experiment_id: string } }>('/experiments/delete', byId, async (request) => {
    await tracking.deleteExperiment(experimentId(request.body.experiment_id));
    return {};
  });
  app.post<{ Body: { experiment_id: string } }>('/experiments/restore', byId, async (request) => {
    await tracking.restoreExperiment(experimentId(request.body.experiment_id));
    return {};
  });

  app.post<{ Body: { experiment_id: string; key: string; value?: string } }>(
    '/experiments/set-experiment-tag',
    {
      schema: {
        body: body({ experiment_id: required, key: required, value: text }, ['experiment_id', 'key']),
      },
    },
    async (request) => {
      const { experiment_id: id, key, value } = request.body;
      await tracking.setExperimentTag(experimentId(id), { key, value: value ?? '' });
      return {};
    },
  );

  app.post<{ Body: { experiment_id: string; key: string } }>(
    '/experiments/delete-experiment-tag',
    { schema: { body: body({ experiment_id: required, key: required }, ['experiment_id', 'key']) } },
    async (request) => {
      await tracking.deleteExperimentTag(experimentId(request.body.experiment_id), request.body.key);
      return {};
    },
  );
};
