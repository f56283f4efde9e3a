import { errors } from '../../kernel/errors.ts';
import { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import { parseArtifactPath } from '../../tracking/artifacts/artifact-layout.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { ViewType } from '../../tracking/tracking-types.ts';
import type { SeriesAxis, TrackingViews } from '../../tracking/tracking-views.ts';
import { artifactRootOf } from '../artifacts/artifact-root.ts';
import { attachmentHeaders } from '../artifacts/download-headers.ts';
import type { RouteModule } from '../create-server.ts';
import {
  METRIC_SERIES_ROUTE_SCHEMA,
  METRIC_SUMMARIES_ROUTE_SCHEMA,
  RUN_ARTIFACT_ROUTE_SCHEMA,
  RUN_COLUMNS_ROUTE_SCHEMA,
  RUN_TABLE_ROUTE_SCHEMA,
} from './tracking-schemas.ts';

interface RunTableBody {
  experiment_ids: string[];
  filter?: string;
  order_by?: string[];
  view_type?: ViewType;
  offset: number;
  limit: number;
  columns?: string[];
}

interface SeriesQuery {
  run_id: string[];
  key: string;
  buckets: number;
  x: SeriesAxis;
  from?: number;
  to?: number;
}

/** JSON has no NaN or Infinity: they travel as MLflow writes them, as strings. */
function jsonNumber(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function jsonNumbers(list: number[]): (number | string)[] {
  return list.every(Number.isFinite) ? list : list.map(jsonNumber);
}

function viewsOf(tracking: TrackingStore): TrackingViews {
  if (!tracking.views)
    throw errors.precondition("this server's tracking store cannot answer table and chart queries");
  return tracking.views;
}

/**
 * Cairn's tracking read API for the web UI, mounted under /api/v1: `POST /runs/search` (a window
 * of the runs table), `GET /runs/columns`, `GET /runs/:run_id/metrics` (summaries),
 * `GET /runs/:run_id/artifact?path=` (one file) and `GET /metrics/series` (bucketed histories).
 */
export const trackingRoutes: RouteModule = (app, deps) => {
  const files = new ArtifactFiles(deps.artifacts);
  const root = artifactRootOf(deps);

  app.post<{ Body: RunTableBody }>('/runs/search', { schema: RUN_TABLE_ROUTE_SCHEMA }, async (request) => {
    const q = request.body;
    const page = await viewsOf(deps.tracking).runTable({
      experimentIds: q.experiment_ids,
      filter: q.filter,
      orderBy: q.order_by,
      viewType: q.view_type,
      offset: q.offset,
      limit: q.limit,
      columns: q.columns,
    });
    for (const run of page.runs)
      for (const [key, v] of Object.entries(run.metrics))
        if (!Number.isFinite(v)) (run.metrics as Record<string, number | string>)[key] = jsonNumber(v);
    return page;
  });

  app.get<{ Querystring: { experiment_id: string[] } }>(
    '/runs/columns',
    { schema: RUN_COLUMNS_ROUTE_SCHEMA },
    async (request) => viewsOf(deps.tracking).runColumns(request.query.experiment_id),
  );

  app.get<{ Params: { run_id: string } }>(
    '/runs/:run_id/metrics',
    { schema: METRIC_SUMMARIES_ROUTE_SCHEMA },
    async (request) => {
      await deps.tracking.getRun(request.params.run_id);
      const metrics = await viewsOf(deps.tracking).metricSummaries(request.params.run_id);
      return {
        metrics: metrics.map((m) => ({
          ...m,
          last: jsonNumber(m.last),
          min: jsonNumber(m.min),
          max: jsonNumber(m.max),
        })),
      };
    },
  );

  app.get<{ Params: { run_id: string }; Querystring: { path: string } }>(
    '/runs/:run_id/artifact',
    { schema: RUN_ARTIFACT_ROUTE_SCHEMA },
    async (request, reply) => {
      const relative = parseArtifactPath(request.query.path);
      const run = await deps.tracking.getRun(request.params.run_id);
      const base = root.pathOf(run.info.artifact_uri);
      if (base === undefined)
        throw errors.invalid(
          `the artifacts of run ${run.info.run_id} are at ${run.info.artifact_uri}, which this server does not serve`,
        );
      const file = await files.open([...base, ...relative]);
      reply.headers({ ...attachmentHeaders(relative.at(-1) as string), 'content-length': file.size });
      return reply.send(file.stream);
    },
  );

  app.get<{ Querystring: SeriesQuery }>(
    '/metrics/series',
    { schema: METRIC_SERIES_ROUTE_SCHEMA },
    async (request) => {
      const q = request.query;
      const set = await viewsOf(deps.tracking).metricSeries({
        runIds: q.run_id,
        key: q.key,
        buckets: q.buckets,
        x: q.x,
        from: q.from,
        to: q.to,
      });
      return {
        ...set,
        series: set.series.map((s) => ({
          ...s,
          first: jsonNumbers(s.first),
          last: jsonNumbers(s.last),
          min: jsonNumbers(s.min),
          max: jsonNumbers(s.max),
        })),
      };
    },
  );
};
