/**
 * MLflow 3's logged models: a model logged from a run (`mlflow.<flavor>.log_model`) is an entity
 * of its own with an id `m-<32 hex>`, its artifacts under
 * `<experiment artifact location>/models/<model_id>/artifacts`, tags and params. MLflow's field
 * names (snake_case), so objects flow through the store and the REST API unchanged.
 */
import type { Page, Tag } from './tracking-types.ts';

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

export interface LoggedModel {
  info: LoggedModelInfo;
  data: {
    /** Sorted by key. */
    params: LoggedModelParam[];
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

export interface SearchLoggedModelsOptions {
  experiment_ids: string[];
  /** e.g. `name = 'model' AND status = 'LOGGED_MODEL_READY' AND tags.k = 'v'`. */
  filter?: string;
  /** Default 50; at most 1,000. */
  max_results?: number;
  /** Attributes only: `name`, `model_id`, `creation_timestamp`, `last_updated_timestamp`, … */
  order_by?: { field_name: string; ascending?: boolean }[];
  page_token?: string;
}

/** A model a run produced, at a step (MLflow's `LoggedModelOutput`). */
export interface ModelOutput {
  model_id: string;
  step: number;
}

export type { Page, Tag };
