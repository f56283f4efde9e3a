import type { Migration } from '../../store/metadata-store.ts';

/**
 * The tables of MLflow 3's logged models, owned by SqlLoggedModelStore. They refer to experiments
 * and runs by id without foreign keys: the tracking tables belong to SqlTrackingStore, which this
 * store asks through the TrackingStore interface. A deleted model keeps its row
 * (lifecycle_stage 'deleted'), as in MLflow. Text columns that are searched use the "C" collation
 * on PostgreSQL so comparisons are byte-wise, as on SQLite (see tracking-migrations.ts).
 */
function render(text: string): Migration['sql'] {
  return {
    sqlite: text
      .replaceAll('<ID>', 'INTEGER PRIMARY KEY')
      .replaceAll('<T>', 'TEXT')
      .replaceAll('<CLUSTERED>', ' WITHOUT ROWID'),
    postgres: text
      .replaceAll('<ID>', 'BIGSERIAL PRIMARY KEY')
      .replaceAll('<T>', 'TEXT COLLATE "C"')
      .replaceAll('<CLUSTERED>', ''),
  };
}

const SCHEMA = `
CREATE TABLE tracking_logged_models (
  model_id <T> PRIMARY KEY,
  experiment_id <T> NOT NULL,
  name <T> NOT NULL,
  artifact_location TEXT NOT NULL,
  creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL,
  status <T> NOT NULL,
  lifecycle_stage <T> NOT NULL,
  model_type <T>,
  source_run_id <T>,
  status_message TEXT
)<CLUSTERED>;
CREATE INDEX tracking_logged_models_by_experiment
  ON tracking_logged_models (experiment_id, lifecycle_stage, creation_timestamp_ms);
CREATE INDEX tracking_logged_models_by_run ON tracking_logged_models (source_run_id);
CREATE TABLE tracking_logged_model_tags (
  model_id <T> NOT NULL REFERENCES tracking_logged_models (model_id),
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (model_id, key)
)<CLUSTERED>;
CREATE TABLE tracking_logged_model_params (
  model_id <T> NOT NULL REFERENCES tracking_logged_models (model_id),
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (model_id, key)
)<CLUSTERED>;
CREATE TABLE tracking_run_outputs (
  run_uuid <T> NOT NULL,
  model_id <T> NOT NULL REFERENCES tracking_logged_models (model_id),
  step BIGINT NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (run_uuid, model_id, step)
)<CLUSTERED>;
`;

/**
 * Metrics logged against a logged model (one row per value, as MLflow keeps them: the same
 * model, key, timestamp, step and run once; `id` is the order of logging; NaN as value 0 with
 * is_nan 1, as in tracking_metrics) and the models a run used as inputs (each once per run).
 */
const METRICS_AND_INPUTS = `
CREATE TABLE tracking_logged_model_metrics (
  id <ID>,
  model_id <T> NOT NULL REFERENCES tracking_logged_models (model_id),
  key <T> NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  is_nan INTEGER NOT NULL,
  experiment_id <T> NOT NULL,
  run_uuid <T> NOT NULL,
  dataset_name <T>,
  dataset_digest <T>,
  UNIQUE (model_id, key, timestamp, step, run_uuid)
);
CREATE INDEX tracking_logged_model_metrics_by_key
  ON tracking_logged_model_metrics (experiment_id, key, model_id);
CREATE TABLE tracking_run_model_inputs (
  run_uuid <T> NOT NULL,
  model_id <T> NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (run_uuid, model_id)
)<CLUSTERED>;
`;

export const LOGGED_MODEL_MIGRATIONS: Migration[] = [
  { id: 'tracking-002-logged-models', sql: render(SCHEMA) },
  { id: 'tracking-003-logged-model-metrics', sql: render(METRICS_AND_INPUTS) },
];
