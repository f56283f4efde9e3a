import type { Migration } from '../../store/metadata-store.ts';

/**
 * The tracking tables: MLflow's entities, owned by SqlTrackingStore.
 *
 * The DDL is written once and rendered for each dialect: on PostgreSQL, text columns that are
 * searched or sorted use the "C" collation, so comparisons, LIKE, lower() and ORDER BY are
 * byte-wise and ASCII-only exactly as on SQLite; PostgreSQL numbers experiments with a
 * sequence, SQLite with its rowid; tables keyed by text are clustered on SQLite (WITHOUT ROWID).
 *
 * Params, tags and latest metrics repeat their run's experiment_id (runs never move between
 * experiments) so that a search filter is answered from an index scoped to the experiments
 * searched, whatever else the database holds.
 *
 * Param and tag values (up to 6,000 and 8,000 characters) are indexed by their first
 * VALUE_PREFIX characters: PostgreSQL refuses B-tree entries over 2,704 bytes. Searches compare
 * that prefix too (see sql-compare.ts), so the index narrows and the full value decides.
 *
 * NaN cannot be stored portably (SQLite turns it into NULL): a metric that is NaN is stored as
 * value 0 with is_nan = 1, as MLflow does. ±Infinity is stored as itself (both databases keep it).
 */
/** Characters of a param or tag value that its index holds. */
export const VALUE_PREFIX = 100;

function render(text: string): Migration['sql'] {
  const template = text.replaceAll('<PREFIX>', String(VALUE_PREFIX));
  return {
    sqlite: template
      .replaceAll('<ID>', 'INTEGER PRIMARY KEY')
      .replaceAll('<T>', 'TEXT')
      .replaceAll('<CLUSTERED>', ' WITHOUT ROWID'),
    postgres: template
      .replaceAll('<ID>', 'BIGSERIAL PRIMARY KEY')
      .replaceAll('<T>', 'TEXT COLLATE "C"')
      .replaceAll('<CLUSTERED>', ''),
  };
}

const SCHEMA = `
CREATE TABLE tracking_experiments (
  experiment_id <ID>,
  name <T> NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage <T> NOT NULL,
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL
);
CREATE TABLE tracking_experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES tracking_experiments (experiment_id),
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (experiment_id, key)
)<CLUSTERED>;
CREATE TABLE tracking_runs (
  run_uuid <T> PRIMARY KEY,
  experiment_id BIGINT NOT NULL REFERENCES tracking_experiments (experiment_id),
  name <T> NOT NULL,
  user_id <T> NOT NULL,
  status <T> NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  deleted_time BIGINT,
  artifact_uri <T> NOT NULL,
  lifecycle_stage <T> NOT NULL
)<CLUSTERED>;
CREATE INDEX tracking_runs_by_experiment
  ON tracking_runs (experiment_id, lifecycle_stage, start_time, run_uuid);
CREATE TABLE tracking_params (
  run_uuid <T> NOT NULL REFERENCES tracking_runs (run_uuid),
  experiment_id BIGINT NOT NULL,
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (run_uuid, key)
)<CLUSTERED>;
CREATE INDEX tracking_params_by_value
  ON tracking_params (experiment_id, key, substr(value, 1, <PREFIX>), run_uuid);
CREATE TABLE tracking_tags (
  run_uuid <T> NOT NULL REFERENCES tracking_runs (run_uuid),
  experiment_id BIGINT NOT NULL,
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (run_uuid, key)
)<CLUSTERED>;
CREATE INDEX tracking_tags_by_value
  ON tracking_tags (experiment_id, key, substr(value, 1, <PREFIX>), run_uuid);
CREATE TABLE tracking_metrics (
  run_uuid <T> NOT NULL REFERENCES tracking_runs (run_uuid),
  key <T> NOT NULL,
  step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  is_nan INTEGER NOT NULL,
  PRIMARY KEY (run_uuid, key, step, timestamp, value, is_nan)
)<CLUSTERED>;
CREATE TABLE tracking_latest_metrics (
  run_uuid <T> NOT NULL REFERENCES tracking_runs (run_uuid),
  experiment_id BIGINT NOT NULL,
  key <T> NOT NULL,
  step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  is_nan INTEGER NOT NULL,
  PRIMARY KEY (run_uuid, key)
)<CLUSTERED>;
CREATE INDEX tracking_latest_metrics_by_value
  ON tracking_latest_metrics (experiment_id, key, is_nan, value, run_uuid);
CREATE TABLE tracking_datasets (
  dataset_uuid <T> PRIMARY KEY,
  experiment_id BIGINT NOT NULL REFERENCES tracking_experiments (experiment_id),
  name <T> NOT NULL,
  digest <T> NOT NULL,
  dataset_source_type TEXT NOT NULL,
  dataset_source TEXT NOT NULL,
  dataset_schema TEXT,
  dataset_profile TEXT,
  UNIQUE (experiment_id, name, digest)
);
CREATE TABLE tracking_inputs (
  input_uuid <T> PRIMARY KEY,
  run_uuid <T> NOT NULL REFERENCES tracking_runs (run_uuid),
  dataset_uuid <T> NOT NULL REFERENCES tracking_datasets (dataset_uuid),
  position BIGINT NOT NULL,
  UNIQUE (run_uuid, dataset_uuid)
);
CREATE INDEX tracking_inputs_by_dataset ON tracking_inputs (dataset_uuid);
CREATE TABLE tracking_input_tags (
  input_uuid <T> NOT NULL REFERENCES tracking_inputs (input_uuid),
  key <T> NOT NULL,
  value <T> NOT NULL,
  PRIMARY KEY (input_uuid, key)
)<CLUSTERED>;
`;

export const TRACKING_MIGRATIONS: Migration[] = [{ id: 'tracking-001-schema', sql: render(SCHEMA) }];
