import type { LifecycleStage, RunStatus, ViewType } from './tracking-types.ts';

/**
 * Read models for browsing tracking data at scale (the web UI): a window of a run search with
 * only the columns shown, the keys an experiment's runs use, per-metric summaries of a run, and
 * metric histories reduced to pixel buckets. Backends that can answer them in their query
 * language offer them as the optional `views` of a TrackingStore.
 */
export interface TrackingViews {
  runTable(options: RunTableOptions): Promise<RunTablePage>;
  runColumns(experimentIds: readonly string[]): Promise<RunColumns>;
  metricSummaries(runId: string): Promise<MetricSummary[]>;
  metricSeries(options: MetricSeriesOptions): Promise<MetricSeriesSet>;
}

/** Most runs one table window returns. */
export const RUN_TABLE_MAX_LIMIT = 1000;
/** Most runs one series request draws, and most buckets per run. */
export const SERIES_MAX_RUNS = 100;
export const SERIES_MAX_BUCKETS = 4000;

export interface RunTableOptions {
  experimentIds: readonly string[];
  /** MLflow's filter grammar, as runs/search takes it. */
  filter?: string | undefined;
  /** MLflow's order_by clauses, e.g. `metrics.loss ASC`. */
  orderBy?: readonly string[] | undefined;
  viewType?: ViewType | undefined;
  offset: number;
  limit: number;
  /** Only these keys (e.g. `params.lr`, `metrics.loss`, `tags.team`, `metrics.*` for every metric); all when absent. */
  columns?: readonly string[] | undefined;
}

/** A run as a row of the runs table: its attributes and the values of the chosen columns. */
export interface RunTableRow {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  lifecycle_stage: LifecycleStage;
  /** Latest value of each metric; NaN and ±Infinity as themselves. */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunTablePage {
  /** How many runs match the search (all windows together). */
  total: number;
  offset: number;
  runs: RunTableRow[];
}

/** The keys the runs of some experiments use, sorted byte-wise. */
export interface RunColumns {
  params: string[];
  metrics: string[];
  tags: string[];
}

/** One metric of one run over its whole history. */
export interface MetricSummary {
  key: string;
  /** The latest value (highest step, then latest timestamp), as the run's metrics report it. */
  last: number;
  step: number;
  timestamp: number;
  /** Over the values that are not NaN; NaN when every value is. */
  min: number;
  max: number;
  count: number;
}

export const SERIES_AXES = ['step', 'timestamp'] as const;
export type SeriesAxis = (typeof SERIES_AXES)[number];

export interface MetricSeriesOptions {
  runIds: readonly string[];
  key: string;
  /** How many buckets the range is cut into: the chart's width in pixels. */
  buckets: number;
  x?: SeriesAxis | undefined;
  /** The range of x to cover (inclusive); by default every point of the runs. */
  from?: number | undefined;
  to?: number | undefined;
}

/**
 * Histories reduced to buckets of equal width over one x range shared by every run, so the
 * runs' buckets line up. Each bucket keeps the first and last value (by x, then time) and the
 * smallest and largest one, so a chart one bucket per pixel wide looks as the raw history would,
 * spikes included.
 */
export interface MetricSeriesSet {
  key: string;
  x: SeriesAxis;
  /** The range covered; null bounds when no run has the metric. */
  from: number | null;
  to: number | null;
  /** x units per bucket (≥ 1); bucket i covers [from + i·width, from + (i+1)·width). */
  width: number;
  series: MetricSeries[];
}

/** One run's non-empty buckets, column by column. */
export interface MetricSeries {
  run_id: string;
  /** The start of each bucket: from + i·width. */
  x: number[];
  first: number[];
  last: number[];
  /** NaN where every value in the bucket is NaN. */
  min: number[];
  max: number[];
  count: number[];
}
