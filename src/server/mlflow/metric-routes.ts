import { metricToJson } from '../../tracking/http/mlflow-wire.ts';
import type { MetricWithRunId } from '../../tracking/tracking-types.ts';
import type { RouteModule } from '../create-server.ts';
import { int64, query, required, text, textList } from './mlflow-schemas.ts';

interface HistoryFields {
  run_id: string;
  metric_key: string;
  max_results?: number;
  page_token?: string;
}

interface BulkFields {
  run_id?: string[];
  metric_key?: string;
  max_results?: number;
}

interface IntervalFields {
  run_ids?: string[];
  metric_key?: string;
  max_results?: number;
  start_step?: number;
  end_step?: number;
}

const withRunId = (m: MetricWithRunId) => ({ ...metricToJson(m), run_id: m.run_id });

/**
 * MLflow's metric history reads: `metrics/get-history` (one run, paged when `max_results` is
 * given: MLflow's client asks for 25,000 at a time), `metrics/get-history-bulk` (many runs,
 * `run_id` repeated) and `metrics/get-history-bulk-interval` (many runs, sampled for charts).
 * The bulk reads check their limits in the tracking store, with MLflow's messages.
 */
export const metricRoutes: RouteModule = (app, deps) => {
  app.get<{ Querystring: HistoryFields }>(
    '/metrics/get-history',
    {
      schema: {
        querystring: query(
          { run_id: required, run_uuid: text, metric_key: required, max_results: int64, page_token: text },
          ['run_id', 'metric_key'],
        ),
      },
    },
    async (request) => {
      const { run_id, metric_key, max_results, page_token } = request.query;
      const page = await deps.tracking.getMetricHistory(run_id, metric_key, {
        ...(max_results !== undefined ? { max_results } : {}),
        ...(page_token ? { page_token } : {}),
      });
      return {
        ...(page.items.length > 0 ? { metrics: page.items.map(metricToJson) } : {}),
        ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
      };
    },
  );

  app.get<{ Querystring: BulkFields }>(
    '/metrics/get-history-bulk',
    { schema: { querystring: query({ run_id: textList, metric_key: text, max_results: int64 }) } },
    async (request) => {
      const { run_id, metric_key, max_results } = request.query;
      const metrics = await deps.tracking.getMetricHistoryBulk(run_id ?? [], metric_key ?? '', max_results);
      // MLflow answers this one with a plain JSON object: the list is there even when empty.
      return { metrics: metrics.map(withRunId) };
    },
  );

  app.get<{ Querystring: IntervalFields }>(
    '/metrics/get-history-bulk-interval',
    {
      schema: {
        querystring: query({
          run_ids: textList,
          metric_key: text,
          start_step: int64,
          end_step: int64,
          max_results: int64,
        }),
      },
    },
    async (request) => {
      const { run_ids, metric_key, max_results, start_step, end_step } = request.query;
      const metrics = await deps.tracking.getMetricHistoryBulkInterval(run_ids ?? [], metric_key ?? '', {
        ...(max_results !== undefined ? { max_results } : {}),
        ...(start_step !== undefined ? { start_step } : {}),
        ...(end_step !== undefined ? { end_step } : {}),
      });
      return metrics.length > 0 ? { metrics: metrics.map(withRunId) } : {};
    },
  );
};
