import type { Migration } from '../../../store/metadata-store.ts';

/**
 * Promotion's tables, owned by src/registry/promotion: results recorded on model versions (gate
 * results and evaluations) and the audit trail of alias moves. Both hang off the registry's rows
 * by the model's surrogate id, so they follow a rename and go with a deleted version or model.
 * Booleans are 0 / 1 integers in both dialects.
 */
const tables = (id: string) => `
CREATE TABLE registry_version_checks (
  id ${id},
  model_id BIGINT NOT NULL,
  version BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('gate', 'evaluation')),
  gate TEXT,
  passed INTEGER CHECK (passed IN (0, 1)),
  result TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  FOREIGN KEY (model_id, version) REFERENCES registry_versions (model_id, version) ON DELETE CASCADE
);
CREATE INDEX registry_version_checks_version ON registry_version_checks (model_id, version, kind, gate, id);
CREATE TABLE registry_alias_events (
  id ${id},
  model_id BIGINT NOT NULL REFERENCES registry_models (id) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('set', 'delete')),
  from_version BIGINT,
  to_version BIGINT,
  forced INTEGER NOT NULL CHECK (forced IN (0, 1)),
  reason TEXT,
  gates TEXT NOT NULL,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX registry_alias_events_model ON registry_alias_events (model_id, id);
`;

export const PROMOTION_MIGRATIONS: Migration[] = [
  {
    id: 'registry-002-version-checks-alias-events',
    sql: {
      sqlite: tables('INTEGER PRIMARY KEY AUTOINCREMENT'),
      postgres: tables('BIGSERIAL PRIMARY KEY'),
    },
  },
];
