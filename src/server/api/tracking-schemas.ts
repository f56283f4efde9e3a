import { VIEW_TYPES } from '../../tracking/tracking-types.ts';
import {
  RUN_TABLE_MAX_LIMIT,
  SERIES_AXES,
  SERIES_MAX_BUCKETS,
  SERIES_MAX_RUNS,
} from '../../tracking/tracking-views.ts';
import { API_ERROR_SCHEMA } from './openapi-schemas.ts';

/**
 * Schemas of Cairn's tracking read API (/api/v1/runs, /api/v1/metrics), used for validation and
 * serialization and collected into the OpenAPI document. Values that are not finite numbers are
 * the strings "NaN", "Infinity" and "-Infinity", as in MLflow's API.
 */
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const value = {
  type: ['number', 'string'],
  description: 'a number, or "NaN", "Infinity", "-Infinity"',
} as const;
const values = { type: 'array', items: value } as const;
const strings = { type: 'array', items: str } as const;
const experimentIds = {
  type: 'array',
  items: { type: 'string', pattern: '^[0-9]{1,15}$' },
  minItems: 1,
  maxItems: 100,
  description: 'the experiments whose runs to search',
} as const;
const runIdParams = {
  type: 'object',
  required: ['run_id'],
  properties: { run_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

const runRow = {
  type: 'object',
  required: ['run_id', 'run_name', 'experiment_id', 'user_id', 'status', 'start_time', 'lifecycle_stage'],
  properties: {
    run_id: str,
    run_name: str,
    experiment_id: str,
    user_id: str,
    status: str,
    start_time: int,
    end_time: int,
    lifecycle_stage: str,
    metrics: { type: 'object', additionalProperties: value, description: 'latest value of each metric' },
    params: { type: 'object', additionalProperties: str },
    tags: { type: 'object', additionalProperties: str },
  },
} as const;

export const RUN_TABLE_ROUTE_SCHEMA = {
  operationId: 'searchRunTable',
  tags: ['tracking'],
  summary: 'A window of the runs table',
  description:
    "Runs of the experiments, filtered and ordered as MLflow's runs/search does (`filter` in MLflow's " +
    'grammar, `order_by` clauses), as table rows: `limit` runs from `offset`, with only the params, metrics ' +
    'and tags named in `columns` (every one without it), and `total`, the number of runs matched. A read, ' +
    'sent as POST for its long lists (as MLflow sends runs/search).',
  body: {
    type: 'object',
    required: ['experiment_ids'],
    additionalProperties: false,
    properties: {
      experiment_ids: experimentIds,
      filter: { type: 'string', maxLength: 4000 },
      order_by: {
        ...strings,
        maxItems: 10,
        description: 'e.g. `metrics.loss ASC`, `attributes.start_time DESC`',
      },
      view_type: { type: 'string', enum: [...VIEW_TYPES] },
      offset: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: RUN_TABLE_MAX_LIMIT, default: 100 },
      columns: {
        ...strings,
        maxItems: 10_000,
        description:
          '`params.<key>`, `metrics.<key>` or `tags.<key>`, or `<kind>.*` for every key of a kind; every column without it',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['total', 'offset', 'runs'],
      properties: { total: int, offset: int, runs: { type: 'array', items: runRow } },
    },
  },
} as const;

export const RUN_COLUMNS_ROUTE_SCHEMA = {
  operationId: 'listRunColumns',
  tags: ['tracking'],
  summary: 'The columns of the runs table',
  description: 'The param, metric and tag keys that runs of the experiments use, each list sorted.',
  querystring: {
    type: 'object',
    required: ['experiment_id'],
    properties: { experiment_id: { ...experimentIds, description: 'repeat the parameter for several' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['params', 'metrics', 'tags'],
      properties: { params: strings, metrics: strings, tags: strings },
    },
  },
} as const;

export const METRIC_SUMMARIES_ROUTE_SCHEMA = {
  operationId: 'listRunMetricSummaries',
  tags: ['tracking'],
  summary: "A run's metrics with min, max and count",
  description:
    'Each metric of the run: its latest value (with step and timestamp), and the smallest and largest ' +
    'values and the number of values over its whole history (NaN left out of min and max).',
  params: runIdParams,
  response: {
    200: {
      type: 'object',
      required: ['metrics'],
      properties: {
        metrics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['key', 'last', 'step', 'timestamp', 'min', 'max', 'count'],
            properties: {
              key: str,
              last: value,
              step: int,
              timestamp: int,
              min: value,
              max: value,
              count: int,
            },
          },
        },
      },
    },
    404: API_ERROR_SCHEMA,
  },
} as const;

export const METRIC_SERIES_ROUTE_SCHEMA = {
  operationId: 'getMetricSeries',
  tags: ['tracking'],
  summary: 'Metric histories in pixel buckets',
  description:
    'One metric of up to 100 runs, cut into `buckets` buckets of equal width over one range shared by the runs ' +
    '(by default from the first to the last x of any of them): for each non-empty bucket its start `x` and the ' +
    'first, last, smallest and largest value and the count. Ask for as many buckets as the chart has pixels: ' +
    'a history of any length then draws from one small answer, and no spike is lost.',
  querystring: {
    type: 'object',
    required: ['run_id', 'key', 'buckets'],
    properties: {
      run_id: {
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
        minItems: 1,
        maxItems: SERIES_MAX_RUNS,
        description: 'repeat for several runs',
      },
      key: { type: 'string', minLength: 1, maxLength: 250 },
      buckets: { type: 'integer', minimum: 1, maximum: SERIES_MAX_BUCKETS },
      x: { type: 'string', enum: [...SERIES_AXES], default: 'step', description: 'step, or timestamp (ms)' },
      from: { type: 'integer', description: 'the first x to cover' },
      to: { type: 'integer', description: 'the last x to cover' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['key', 'x', 'from', 'to', 'width', 'series'],
      properties: {
        key: str,
        x: { type: 'string', enum: [...SERIES_AXES] },
        from: { type: ['integer', 'null'] },
        to: { type: ['integer', 'null'] },
        width: { type: 'integer', description: 'x units per bucket' },
        series: {
          type: 'array',
          items: {
            type: 'object',
            required: ['run_id', 'x', 'first', 'last', 'min', 'max', 'count'],
            properties: {
              run_id: str,
              x: { type: 'array', items: int },
              first: values,
              last: values,
              min: values,
              max: values,
              count: { type: 'array', items: int },
            },
          },
        },
      },
    },
  },
} as const;

export const RUN_ARTIFACT_ROUTE_SCHEMA = {
  operationId: 'getRunArtifact',
  tags: ['tracking'],
  summary: 'One artifact file of a run',
  description:
    "A file of the run's artifacts (a path relative to the run's artifact root), as an attachment that is " +
    'never sniffed. Served for runs whose artifacts are in this server\u2019s artifact store.',
  params: runIdParams,
  querystring: {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } },
  },
  response: {
    200: {
      type: 'string',
      contentMediaType: 'application/octet-stream',
      description: 'The file, with the content type of its name (text/plain, image/png, …).',
    },
    404: API_ERROR_SCHEMA,
  },
} as const;
