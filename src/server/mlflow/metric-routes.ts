import { metricToJson } from '../../tracking/http/mlflow-wire.ts';
import type { RouteModule } from '../create-server.ts';
import { int64, query, required, text } from './mlflow-schemas.ts';

interface HistoryFields {
  run_id: string;
  metric_key: string;
  max_results?: number;
  page_token?: string;
}

/**
 * `GET metrics/get-history`: every value of one metric of a run, by step then timestamp, paged
 * when `max_results` is given (MLflow's client asks for 25,000 at a time).
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
};
