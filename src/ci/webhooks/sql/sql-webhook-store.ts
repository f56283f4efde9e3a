import { randomUUID } from 'node:crypto';
import { errors } from '../../../kernel/errors.ts';
import type { MetadataStore, SqlExecutor } from '../../../store/metadata-store.ts';
import type { Page } from '../../../tracking/tracking-types.ts';
import type { WebhookStore } from '../webhook-store.ts';
import {
  type DeliveryState,
  type NewWebhook,
  validateWebhookEvents,
  validateWebhookName,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventName,
  type WebhookStatus,
  type WebhookUpdate,
} from '../webhook-types.ts';

interface WebhookRow {
  webhook_id: string;
  name: string;
  description: string | null;
  url: string;
  status: string;
  secret: string | null;
  creation_timestamp: number | bigint;
  last_updated_timestamp: number | bigint;
  [k: string]: unknown;
}

interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  event: string;
  state: string;
  attempts: number | bigint;
  response_status: number | bigint | null;
  error: string | null;
  created_at: number | bigint;
  updated_at: number | bigint;
  [k: string]: unknown;
}

const COLUMNS =
  'w.webhook_id, w.name, w.description, w.url, w.status, w.secret, w.creation_timestamp, w.last_updated_timestamp';

/**
 * Webhooks in the metadata store (SQLite or PostgreSQL). URL checks (scheme, addresses) belong to
 * the caller (WebhookService), which knows the address policy; this store checks names and events.
 */
export class SqlWebhookStore implements WebhookStore {
  readonly #db: MetadataStore;

  constructor(db: MetadataStore) {
    this.#db = db;
  }

  async create(webhook: NewWebhook): Promise<Webhook> {
    validateWebhookName(webhook.name);
    validateWebhookEvents(webhook.events);
    const id = randomUUID();
    const now = Date.now();
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO ci_webhooks (webhook_id, name, description, url, status, secret, creation_timestamp, last_updated_timestamp)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          webhook.name,
          webhook.description ?? null,
          webhook.url,
          webhook.status ?? 'ACTIVE',
          webhook.secret || null,
          now,
          now,
        ],
      );
      await insertEvents(tx, id, webhook.events);
      return load(tx, id);
    });
  }

  get(webhookId: string): Promise<Webhook> {
    return this.#db.transaction((tx) => load(tx, webhookId));
  }

  async list(options: { maxResults?: number; pageToken?: string } = {}): Promise<Page<Webhook>> {
    const max = options.maxResults || 100;
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw errors.invalid('max_results must be between 1 and 1000.');
    const offset = parsePageToken(options.pageToken);
    const rows = await this.#db.all<WebhookRow>(
      `SELECT ${COLUMNS} FROM ci_webhooks w WHERE w.deleted_timestamp IS NULL
       ORDER BY w.creation_timestamp DESC, w.webhook_id LIMIT ? OFFSET ?`,
      [max + 1, offset],
    );
    const items = await this.#withEvents(this.#db, rows.slice(0, max));
    return rows.length > max ? { items, next_page_token: pageToken(offset + max) } : { items };
  }

  async subscribers(event: WebhookEventName): Promise<Webhook[]> {
    const rows = await this.#db.all<WebhookRow>(
      `SELECT ${COLUMNS} FROM ci_webhooks w JOIN ci_webhook_events e ON e.webhook_id = w.webhook_id
       WHERE e.event = ? AND w.status = 'ACTIVE' AND w.deleted_timestamp IS NULL
       ORDER BY w.creation_timestamp`,
      [event],
    );
    return this.#withEvents(this.#db, rows);
  }

  async update(webhookId: string, update: WebhookUpdate): Promise<Webhook> {
    if (update.name !== undefined) validateWebhookName(update.name);
    if (update.events !== undefined) validateWebhookEvents(update.events);
    return this.#db.transaction(async (tx) => {
      await load(tx, webhookId);
      const sets: string[] = [];
      const values: (string | number | null)[] = [];
      const set = (column: string, value: string | null) => {
        sets.push(`${column} = ?`);
        values.push(value);
      };
      if (update.name !== undefined) set('name', update.name);
      if (update.url !== undefined) set('url', update.url);
      if (update.description !== undefined) set('description', update.description);
      if (update.secret !== undefined) set('secret', update.secret || null);
      if (update.status !== undefined) set('status', update.status);
      sets.push('last_updated_timestamp = ?');
      values.push(Date.now());
      await tx.run(`UPDATE ci_webhooks SET ${sets.join(', ')} WHERE webhook_id = ?`, [...values, webhookId]);
      if (update.events !== undefined) {
        await tx.run('DELETE FROM ci_webhook_events WHERE webhook_id = ?', [webhookId]);
        await insertEvents(tx, webhookId, update.events);
      }
      return load(tx, webhookId);
    });
  }

  async delete(webhookId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await load(tx, webhookId);
      const now = Date.now();
      await tx.run(
        'UPDATE ci_webhooks SET deleted_timestamp = ?, last_updated_timestamp = ? WHERE webhook_id = ?',
        [now, now, webhookId],
      );
    });
  }

  async recordDelivery(d: WebhookDelivery): Promise<void> {
    await this.#db.run(
      `INSERT INTO ci_webhook_deliveries (delivery_id, webhook_id, event, state, attempts, response_status, error, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (delivery_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
         response_status = excluded.response_status, error = excluded.error, updated_at = excluded.updated_at`,
      [
        d.delivery_id,
        d.webhook_id,
        d.event,
        d.state,
        d.attempts,
        d.response_status ?? null,
        d.error ?? null,
        d.created_at,
        d.updated_at,
      ],
    );
  }

  async deliveries(webhookId: string, options: { maxResults?: number } = {}): Promise<WebhookDelivery[]> {
    await this.get(webhookId);
    const rows = await this.#db.all<DeliveryRow>(
      `SELECT delivery_id, webhook_id, event, state, attempts, response_status, error, created_at, updated_at
       FROM ci_webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, delivery_id LIMIT ?`,
      [webhookId, options.maxResults ?? 100],
    );
    return rows.map((r) => ({
      delivery_id: r.delivery_id,
      webhook_id: r.webhook_id,
      event: r.event as WebhookEventName,
      state: r.state as DeliveryState,
      attempts: Number(r.attempts),
      ...(r.response_status !== null ? { response_status: Number(r.response_status) } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
    }));
  }

  async #withEvents(tx: SqlExecutor, rows: WebhookRow[]): Promise<Webhook[]> {
    if (rows.length === 0) return [];
    const events = await tx.all<{ webhook_id: string; event: string }>(
      `SELECT webhook_id, event FROM ci_webhook_events WHERE webhook_id IN (${rows.map(() => '?').join(', ')}) ORDER BY webhook_id, position`,
      rows.map((r) => r.webhook_id),
    );
    return rows.map((r) =>
      toWebhook(
        r,
        events.filter((e) => e.webhook_id === r.webhook_id).map((e) => e.event),
      ),
    );
  }
}

async function insertEvents(tx: SqlExecutor, id: string, events: readonly WebhookEventName[]): Promise<void> {
  let position = 0;
  for (const event of new Set(events))
    await tx.run('INSERT INTO ci_webhook_events (webhook_id, event, position) VALUES (?, ?, ?)', [
      id,
      event,
      position++,
    ]);
}

async function load(tx: SqlExecutor, webhookId: string): Promise<Webhook> {
  const row = await tx.get<WebhookRow>(
    `SELECT ${COLUMNS} FROM ci_webhooks w WHERE w.webhook_id = ? AND w.deleted_timestamp IS NULL`,
    [webhookId],
  );
  if (!row) throw errors.notFound(`Webhook with ID ${webhookId} not found.`);
  const events = await tx.all<{ event: string }>(
    'SELECT event FROM ci_webhook_events WHERE webhook_id = ? ORDER BY position',
    [webhookId],
  );
  return toWebhook(
    row,
    events.map((e) => e.event),
  );
}

function toWebhook(row: WebhookRow, events: string[]): Webhook {
  return {
    webhook_id: row.webhook_id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    url: row.url,
    events: events as WebhookEventName[],
    status: row.status as WebhookStatus,
    ...(row.secret !== null ? { secret: row.secret } : {}),
    creation_timestamp: Number(row.creation_timestamp),
    last_updated_timestamp: Number(row.last_updated_timestamp),
  };
}

function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function parsePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof value.offset === 'number' && Number.isInteger(value.offset) && value.offset >= 0)
      return value.offset;
  } catch {}
  throw errors.invalid(`Invalid page token '${token}'.`);
}
