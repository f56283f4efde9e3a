import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import { doubleFromJson } from '../../tracking/http/mlflow-wire.ts';
import { logRunBatch, logRunMetric, type RunMetric } from '../../tracking/model-metrics.ts';
import type { DatasetInput, Tag } from '../../tracking/tracking-types.ts';
import type { RouteModule } from '../create-server.ts';
import { loggedModelsOf } from './logged-models-of.ts';
import { body, double, int64, metric, required, tag, tagList, text } from './mlflow-schemas.ts';

/** MLflow's limit on a log-batch request (mlflow/utils/validation.py, MAX_BATCH_LOG_REQUEST_SIZE). */
export const MAX_BATCH_REQUEST_BYTES = 1_000_000;

interface MetricFields {
  key: string;
  value: number | string;
  timestamp: number;
  step?: number;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

interface BatchFields {
  run_id: string;
  metrics?: MetricFields[];
  params?: { key: string; value?: string }[];
  tags?: Tag[];
}

interface InputFields {
  run_id: string;
  datasets?: { tags?: Tag[]; dataset: DatasetInput['dataset'] }[];
  models?: { model_id: string }[];
}

function toMetric(m: MetricFields, field: string): RunMetric {
  const value = doubleFromJson(m.value);
  if (value === undefined)
    throw errors.invalid(
      `Invalid value ${JSON.stringify(m.value)} for parameter '${field}' supplied: expected a double`,
    );
  return {
    key: m.key,
    value,
    timestamp: m.timestamp,
    step: m.step ?? 0,
    ...(m.model_id ? { model_id: m.model_id } : {}),
    ...(m.dataset_name ? { dataset_name: m.dataset_name } : {}),
    ...(m.dataset_digest ? { dataset_digest: m.dataset_digest } : {}),
  };
}

const dataset = {
  type: 'object',
  required: ['name', 'digest', 'source_type', 'source'],
  properties: {
    name: required,
    digest: required,
    source_type: required,
    source: required,
    schema: text,
    profile: text,
  },
} as const;

/** The size of a request's body as received (set by the log-batch route's preParsing hook). */
const bodySizes = new WeakMap<FastifyRequest, number>();

/**
 * MLflow's logging endpoints: log-metric, log-parameter, set-tag, delete-tag, log-batch,
 * log-inputs. A metric that names a `model_id` is also attached to that logged model, and
 * log-inputs records the logged models a run used (`models`), as MLflow 3 does.
 */
export const runLoggingRoutes: RouteModule = (app, deps) => {
  const tracking = deps.tracking;
  const stores = { tracking, loggedModels: loggedModelsOf(deps) };

  app.post<{ Body: MetricFields & { run_id: string } }>(
    '/runs/log-metric',
    {
      schema: {
        body: body(
          {
            run_id: required,
            key: required,
            value: double,
            timestamp: int64,
            step: int64,
            model_id: text,
            dataset_name: text,
            dataset_digest: text,
          },
          ['run_id', 'key', 'value', 'timestamp'],
        ),
      },
    },
    async (request) => {
      await logRunMetric(stores, request.body.run_id, toMetric(request.body, 'value'));
      return {};
    },
  );

  app.post<{ Body: { run_id: string; key: string; value?: string } }>(
    '/runs/log-parameter',
    { schema: { body: body({ run_id: required, key: required, value: text }, ['run_id', 'key']) } },
    async (request) => {
      await tracking.logParam(request.body.run_id, request.body.key, request.body.value ?? '');
      return {};
    },
  );

  app.post<{ Body: { run_id: string; key: string; value?: string } }>(
    '/runs/set-tag',
    { schema: { body: body({ run_id: required, key: required, value: text }, ['run_id', 'key']) } },
    async (request) => {
      await tracking.setTag(request.body.run_id, { key: request.body.key, value: request.body.value ?? '' });
      return {};
    },
  );

  app.post<{ Body: { run_id: string; key: string } }>(
    '/runs/delete-tag',
    { schema: { body: body({ run_id: required, key: required }, ['run_id', 'key']) } },
    async (request) => {
      await tracking.deleteTag(request.body.run_id, request.body.key);
      return {};
    },
  );

  app.post<{ Body: BatchFields }>(
    '/runs/log-batch',
    {
      schema: {
        body: body(
          {
            run_id: required,
            metrics: { type: 'array', items: metric },
            params: { type: 'array', items: tag },
            tags: tagList,
          },
          ['run_id'],
        ),
      },
      preParsing: async (request, _reply, payload) => {
        const counted = new ByteCounter((size) => bodySizes.set(request, size));
        payload.on('error', (err) => counted.destroy(err));
        return payload.pipe(counted);
      },
      preValidation: async (request) => {
        const size = bodySizes.get(request) ?? 0;
        if (size > MAX_BATCH_REQUEST_BYTES)
          throw errors.invalid(
            `Batched logging API requests must be at most ${MAX_BATCH_REQUEST_BYTES} bytes, got a request of size ${size}.`,
          );
      },
    },
    async (request) => {
      const { run_id, metrics, params, tags } = request.body;
      await logRunBatch(stores, run_id, {
        metrics: (metrics ?? []).map((m, i) => toMetric(m, `metrics[${i}].value`)),
        params: (params ?? []).map((p) => ({ key: p.key, value: p.value ?? '' })),
        tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
      });
      return {};
    },
  );

  app.post<{ Body: InputFields }>(
    '/runs/log-inputs',
    {
      schema: {
        body: body(
          {
            run_id: required,
            datasets: {
              type: 'array',
              items: { type: 'object', required: ['dataset'], properties: { tags: tagList, dataset } },
            },
            models: {
              type: 'array',
              items: { type: 'object', required: ['model_id'], properties: { model_id: required } },
            },
          },
          ['run_id'],
        ),
      },
    },
    async (request) => {
      const { run_id, datasets, models } = request.body;
      const inputs = (datasets ?? []).map((d) => ({
        tags: (d.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
        dataset: d.dataset,
      }));
      if (inputs.length > 0 || !models?.length) await tracking.logInputs(run_id, inputs);
      if (models?.length)
        await stores.loggedModels.logModelInputs(
          run_id,
          models.map((m) => m.model_id),
        );
      return {};
    },
  );
};

/** Passes a body through, reporting how many bytes went by (and telling Fastify, for its body limit). */
class ByteCounter extends Transform {
  receivedEncodedLength = 0;
  readonly #report: (size: number) => void;

  constructor(report: (size: number) => void) {
    super();
    this.#report = report;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    this.#report(this.receivedEncodedLength);
    done(null, chunk);
  }
}
