import type { Migration } from '../../../store/metadata-store.ts';

/**
 * The tables of webhooks, owned by SqlWebhookStore: the webhooks (soft-deleted, as MLflow does,
 * so their delivery records keep their meaning), the events each subscribes to (in the order given: a test sends the first), and one row per
 * delivery with the outcome of its latest attempt. Times are milliseconds since the epoch.
 */
export const WEBHOOK_MIGRATIONS: Migration[] = [
  {
    id: 'ci-001-webhooks',
    sql: `
CREATE TABLE ci_webhooks (
  webhook_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  url TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DISABLED')),
  secret TEXT,
  creation_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  deleted_timestamp BIGINT
);
CREATE TABLE ci_webhook_events (
  webhook_id TEXT NOT NULL REFERENCES ci_webhooks (webhook_id),
  event TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, event)
);
CREATE INDEX ci_webhook_events_by_event ON ci_webhook_events (event);
CREATE TABLE ci_webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES ci_webhooks (webhook_id),
  event TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL,
  response_status INTEGER,
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX ci_webhook_deliveries_by_webhook ON ci_webhook_deliveries (webhook_id, created_at);`,
  },
];
