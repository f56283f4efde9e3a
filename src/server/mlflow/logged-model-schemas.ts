import { enumValue, text } from './mlflow-schemas.ts';

/** JSON schemas of MLflow 3's logged-model requests (mlflow/protos/service.proto). */
const keyValues = {
  type: 'array',
  maxItems: 10_000,
  items: { type: 'object', required: ['key'], properties: { key: text, value: text } },
} as const;
/** MLflow clients send the enum's name; its number is accepted too. */
const status = enumValue;
const modelIdParams = {
  type: 'object',
  required: ['model_id'],
  properties: { model_id: { type: 'string', minLength: 1 } },
} as const;

export const LOGGED_MODEL_SCHEMAS = {
  create: {
    body: {
      type: 'object',
      required: ['experiment_id'],
      properties: {
        experiment_id: { type: 'string', minLength: 1 },
        name: text,
        model_type: text,
        source_run_id: text,
        params: keyValues,
        tags: keyValues,
      },
    },
  },
  get: {
    params: modelIdParams,
    querystring: { type: 'object', properties: { allow_deleted: { type: 'boolean' } } },
  },
  finalize: {
    params: modelIdParams,
    body: { type: 'object', required: ['status'], properties: { model_id: text, status } },
  },
  byId: { params: modelIdParams },
  setTags: {
    params: modelIdParams,
    body: { type: 'object', properties: { model_id: text, tags: keyValues } },
  },
  deleteTag: {
    params: {
      type: 'object',
      required: ['model_id', 'tag_key'],
      properties: { model_id: { type: 'string', minLength: 1 }, tag_key: { type: 'string', minLength: 1 } },
    },
  },
  logParams: {
    params: modelIdParams,
    body: { type: 'object', properties: { model_id: text, params: keyValues } },
  },
  listArtifacts: {
    params: modelIdParams,
    querystring: { type: 'object', properties: { artifact_directory_path: text, page_token: text } },
  },
  search: {
    body: {
      type: 'object',
      required: ['experiment_ids'],
      properties: {
        experiment_ids: { type: 'array', items: text, minItems: 1 },
        filter: text,
        datasets: {
          type: 'array',
          items: { type: 'object', properties: { dataset_name: text, dataset_digest: text } },
        },
        max_results: { type: 'integer' },
        order_by: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field_name'],
            properties: {
              field_name: { type: 'string', minLength: 1 },
              ascending: { type: 'boolean' },
              dataset_name: text,
              dataset_digest: text,
            },
          },
        },
        page_token: text,
      },
    },
  },
  logOutputs: {
    body: {
      type: 'object',
      required: ['run_id', 'models'],
      properties: {
        run_id: { type: 'string', minLength: 1 },
        models: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['model_id', 'step'],
            properties: { model_id: { type: 'string', minLength: 1 }, step: { type: 'integer' } },
          },
        },
      },
    },
  },
} as const;
