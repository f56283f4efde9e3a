import type { Dialect, SqlExecutor } from '../../store/metadata-store.ts';
import type {
  MetricSeriesOptions,
  MetricSeriesSet,
  MetricSummary,
  RunColumns,
  RunTableOptions,
  RunTablePage,
  TrackingViews,
} from '../tracking-views.ts';
import { queryMetricSeries, queryMetricSummaries } from './metric-series-query.ts';
import { queryRunColumns, queryRunTable } from './run-table-query.ts';

/** TrackingViews in SQL on the tracking tables (SQLite or PostgreSQL, named by `dialect`); `ready` applies the migrations. */
export class SqlTrackingViews implements TrackingViews {
  readonly #db: SqlExecutor & { readonly dialect: Dialect };
  readonly #ready: () => Promise<void>;

  constructor(db: SqlExecutor & { readonly dialect: Dialect }, ready: () => Promise<void>) {
    this.#db = db;
    this.#ready = ready;
  }

  async runTable(options: RunTableOptions): Promise<RunTablePage> {
    await this.#ready();
    return queryRunTable(this.#db, options);
  }

  async runColumns(experimentIds: readonly string[]): Promise<RunColumns> {
    await this.#ready();
    return queryRunColumns(this.#db, experimentIds);
  }

  async metricSummaries(runId: string): Promise<MetricSummary[]> {
    await this.#ready();
    return queryMetricSummaries(this.#db, runId);
  }

  async metricSeries(options: MetricSeriesOptions): Promise<MetricSeriesSet> {
    await this.#ready();
    return queryMetricSeries(this.#db, options);
  }
}
