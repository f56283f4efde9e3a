import type {
  CreateRunOptions,
  DatasetInput,
  Experiment,
  LogBatch,
  Metric,
  MetricSampleOptions,
  MetricWithRunId,
  Page,
  Run,
  SearchExperimentsOptions,
  SearchRunsOptions,
  Tag,
  UpdateRunOptions,
} from './tracking-types.ts';

/**
 * Experiment tracking, with MLflow's semantics: the operations of MLflow's tracking REST API.
 * Implementations: SqlTrackingStore (SQLite or PostgreSQL through the MetadataStore) and
 * HttpTrackingStore (a Cairn or MLflow server). One contract suite runs against each.
 *
 * Errors are CairnErrors: NOT_FOUND for unknown ids, ALREADY_EXISTS for a duplicate experiment
 * name, INVALID_ARGUMENT for bad input (and for changing a logged param), FAILED_PRECONDITION
 * for writing to a deleted run or experiment.
 */
export interface TrackingStore {
  createExperiment(name: string, options?: { artifact_location?: string; tags?: Tag[] }): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Undefined when there is no experiment of that name. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(options?: SearchExperimentsOptions): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  createRun(options: CreateRunOptions): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, update: UpdateRunOptions): Promise<Run['info']>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  searchRuns(options: SearchRunsOptions): Promise<Page<Run>>;

  logMetric(runId: string, metric: Metric): Promise<void>;
  logParam(runId: string, key: string, value: string): Promise<void>;
  setTag(runId: string, tag: Tag): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** Params are write-once (same value again is fine); metrics append; tags overwrite. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  getMetricHistory(
    runId: string,
    key: string,
    options?: { max_results?: number; page_token?: string },
  ): Promise<Page<Metric>>;
  /**
   * Every value of `key` for each of `runIds` (1 to 100; unknown runs give none), by run id, then
   * timestamp, step and value; at most `maxResults` (default and limit 25,000) in all. MLflow's
   * `metrics/get-history-bulk`.
   */
  getMetricHistoryBulk(runIds: string[], key: string, maxResults?: number): Promise<MetricWithRunId[]>;
  /**
   * An evenly spaced sample of `key`'s history for each of `runIds` (1 to 100, in that order):
   * up to `max_results` values per run, always with the run's last value, ordered by step. What
   * charts draw. MLflow's `metrics/get-history-bulk-interval`.
   */
  getMetricHistoryBulkInterval(
    runIds: string[],
    key: string,
    options?: MetricSampleOptions,
  ): Promise<MetricWithRunId[]>;
}
