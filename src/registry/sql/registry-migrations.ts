import type { Migration } from '../../store/metadata-store.ts';

/**
 * The registry's tables. A model has a surrogate id, so a rename touches one row; versions, tags
 * and aliases hang off it with ON DELETE CASCADE (an alias also goes with the version it names).
 * `last_version` numbers versions: a deleted version's number is never given out again, as in
 * MLflow, which keeps deleted versions as hidden rows for the same purpose.
 */
const tables = (modelId: string) => `
CREATE TABLE registry_models (
  id ${modelId},
  name TEXT NOT NULL UNIQUE,
  creation_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  description TEXT,
  last_version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE registry_model_tags (
  model_id BIGINT NOT NULL REFERENCES registry_models (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
);
CREATE TABLE registry_versions (
  model_id BIGINT NOT NULL REFERENCES registry_models (id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  creation_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  user_id TEXT,
  current_stage TEXT NOT NULL CHECK (current_stage IN ('None', 'Staging', 'Production', 'Archived')),
  description TEXT,
  source TEXT NOT NULL,
  storage_location TEXT,
  run_id TEXT,
  run_link TEXT,
  status TEXT NOT NULL CHECK (status IN ('PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY')),
  status_message TEXT,
  PRIMARY KEY (model_id, version)
);
CREATE INDEX registry_versions_stage ON registry_versions (model_id, current_stage, version);
CREATE INDEX registry_versions_run ON registry_versions (run_id);
CREATE TABLE registry_version_tags (
  model_id BIGINT NOT NULL,
  version BIGINT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, version, key),
  FOREIGN KEY (model_id, version) REFERENCES registry_versions (model_id, version) ON DELETE CASCADE
);
CREATE TABLE registry_aliases (
  model_id BIGINT NOT NULL,
  alias TEXT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES registry_versions (model_id, version) ON DELETE CASCADE
);
CREATE INDEX registry_aliases_version ON registry_aliases (model_id, version);
`;

export const REGISTRY_MIGRATIONS: Migration[] = [
  {
    id: 'registry-001-models-versions-tags-aliases',
    sql: {
      sqlite: tables('INTEGER PRIMARY KEY AUTOINCREMENT'),
      postgres: tables('BIGSERIAL PRIMARY KEY'),
    },
  },
];
