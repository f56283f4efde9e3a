import { body, int64, query, required, tagList, text, textList } from './mlflow-schemas.ts';

/**
 * JSON schemas of the MLflow model registry requests (mlflow/protos/model_registry.proto), built
 * from the shared pieces of mlflow-schemas.ts. GET routes read the query string, the others a
 * JSON body (DELETE included, as MLflow's clients send it).
 */
const searchFields = { filter: text, max_results: int64, order_by: textList, page_token: text };
const version = required;

export const REGISTRY_SCHEMAS = {
  createModel: { body: body({ name: required, tags: tagList, description: text }, ['name']) },
  nameQuery: { querystring: query({ name: required }, ['name']) },
  nameBody: { body: body({ name: required }, ['name']) },
  renameModel: { body: body({ name: required, new_name: text }, ['name']) },
  updateModel: { body: body({ name: required, description: text }, ['name']) },
  searchQuery: { querystring: query(searchFields) },
  searchBody: { body: body(searchFields) },
  latestVersionsBody: { body: body({ name: required, stages: textList }, ['name']) },
  latestVersionsQuery: { querystring: query({ name: required, stages: textList }, ['name']) },
  modelTag: { body: body({ name: required, key: required, value: text }, ['name', 'key', 'value']) },
  deleteModelTag: { body: body({ name: required, key: required }, ['name', 'key']) },
  setAlias: { body: body({ name: required, alias: required, version }, ['name', 'alias', 'version']) },
  deleteAlias: { body: body({ name: required, alias: required }, ['name', 'alias']) },
  aliasQuery: { querystring: query({ name: required, alias: required }, ['name', 'alias']) },
  createVersion: {
    body: body(
      {
        name: required,
        source: required,
        run_id: text,
        tags: tagList,
        run_link: text,
        description: text,
        model_id: text,
      },
      ['name', 'source'],
    ),
  },
  versionQuery: { querystring: query({ name: required, version }, ['name', 'version']) },
  versionBody: { body: body({ name: required, version }, ['name', 'version']) },
  updateVersion: { body: body({ name: required, version, description: text }, ['name', 'version']) },
  transition: {
    body: body({ name: required, version, stage: required, archive_existing_versions: { type: 'boolean' } }, [
      'name',
      'version',
      'stage',
    ]),
  },
  versionTag: {
    body: body({ name: required, version, key: required, value: text }, ['name', 'version', 'key', 'value']),
  },
  deleteVersionTag: { body: body({ name: required, version, key: required }, ['name', 'version', 'key']) },
} as const;
