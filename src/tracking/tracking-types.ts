/**
 * The tracking data model: MLflow's entities with MLflow's field names (snake_case), so the same
 * objects flow through the local store, Cairn's server and the MLflow REST API unchanged.
 */

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const LIFECYCLE_STAGES = ['active', 'deleted'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Which runs or experiments a search returns, by lifecycle stage. */
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  /** Milliseconds since the epoch. */
  creation_time: number;
  last_update_time: number;
  tags: Tag[];
}

export interface Metric {
  key: string;
  /** NaN and ±Infinity are allowed, as in MLflow. */
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

/** A metric value with the run it belongs to (the answer of the bulk history reads). */
export interface MetricWithRunId extends Metric {
  run_id: string;
}

/** Which values of a metric history `getMetricHistoryBulkInterval` samples, per run. */
export interface MetricSampleOptions {
  /** Values kept per run: 1 to 2,500 (MLflow's limit); the default 2,500. */
  max_results?: number;
  /** Only steps in [start_step, end_step]; give both or neither. */
  start_step?: number;
  end_step?: number;
}

export interface Param {
  key: string;
  value: string;
}

export interface RunInfo {
  run_id: string;
  /** Same as run_id; MLflow clients still read it. */
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface RunData {
  /** The latest value of each metric (highest step, then latest timestamp, then largest value). */
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

export interface Dataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

export interface RunInputs {
  dataset_inputs: DatasetInput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  next_page_token?: string;
}

export interface SearchRunsOptions {
  experiment_ids: string[];
  /** MLflow's filter grammar, e.g. `metrics.acc > 0.8 and params.model = 'x'`. */
  filter?: string;
  run_view_type?: ViewType;
  /** Default 1,000; at most 50,000. */
  max_results?: number;
  /** e.g. `['metrics.acc DESC', 'attributes.start_time']`. */
  order_by?: string[];
  page_token?: string;
}

export interface SearchExperimentsOptions {
  filter?: string;
  view_type?: ViewType;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

export interface CreateRunOptions {
  experiment_id: string;
  user_id?: string;
  run_name?: string;
  start_time?: number;
  tags?: Tag[];
}

export interface UpdateRunOptions {
  status?: RunStatus;
  end_time?: number;
  run_name?: string;
}

export interface LogBatch {
  metrics?: Metric[];
  params?: Param[];
  tags?: Tag[];
}
