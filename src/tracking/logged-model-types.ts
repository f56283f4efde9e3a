/**
 * MLflow 3's logged models: a model logged from a run (`mlflow.<flavor>.log_model`) is an entity
 * of its own with an id `m-<32 hex>`, its artifacts under
 * `<experiment artifact location>/models/<model_id>/artifacts`, tags and params. MLflow's field
 * names (snake_case), so objects flow through the store and the REST API unchanged.
 */
import type { Metric, Page, Tag } from './tracking-types.ts';

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface LoggedModelParam {
  key: string;
  value: string;
}

export interface LoggedModelInfo {
  /** `m-` and 32 lowercase hex digits. */
  model_id: string;
  experiment_id: string;
  name: string;
  /** Milliseconds since the epoch. */
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatus;
  model_type?: string;
  source_run_id?: string;
  status_message?: string;
  /** Sorted by key. */
  tags: Tag[];
}

/**
 * A metric value attached to a logged model: logged from run `run_id` with the model's id
 * (`mlflow.log_metric(..., model_id=…)`), optionally measured on a dataset.
 */
export interface LoggedModelMetric extends Metric {
  model_id: string;
  run_id: string;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface LoggedModel {
  info: LoggedModelInfo;
  data: {
    /** Sorted by key. */
    params: LoggedModelParam[];
    /** Every value logged, in the order they were logged. */
    metrics: LoggedModelMetric[];
  };
}

export interface CreateLoggedModelOptions {
  experiment_id: string;
  /** A random name (as for runs) when absent. */
  name?: string;
  model_type?: string;
  source_run_id?: string;
  params?: LoggedModelParam[];
  tags?: Tag[];
}

/** A dataset that metrics were measured on: by name, and by digest too when given. */
export interface LoggedModelDatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export interface SearchLoggedModelsOptions {
  experiment_ids: string[];
  /**
   * e.g. `name = 'model' AND status = 'LOGGED_MODEL_READY' AND tags.k = 'v' AND metrics.acc > 0.9`.
   * A metric comparison holds when any value logged for the model does.
   */
  filter?: string;
  /**
   * Metric comparisons count only values measured on one of these datasets; without metric
   * comparisons, a model needs a metric on one of them.
   */
  datasets?: LoggedModelDatasetFilter[];
  /** Default 100; at most 10,000. */
  max_results?: number;
  /**
   * Attributes (`name`, `model_id`, `creation_timestamp`, `last_updated_timestamp`, …) or
   * `metrics.<key>`: its latest value (by timestamp, then step), on the dataset when named.
   */
  order_by?: {
    field_name: string;
    ascending?: boolean;
    dataset_name?: string;
    dataset_digest?: string;
  }[];
  page_token?: string;
}

/** A model a run produced, at a step (MLflow's `LoggedModelOutput`). */
export interface ModelOutput {
  model_id: string;
  step: number;
}

export type { Page, Tag };
