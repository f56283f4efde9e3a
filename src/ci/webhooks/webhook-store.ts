import type { Page } from '../../tracking/tracking-types.ts';
import type {
  NewWebhook,
  Webhook,
  WebhookDelivery,
  WebhookEventName,
  WebhookUpdate,
} from './webhook-types.ts';

/**
 * Webhooks and the record of their deliveries. Implementation: SqlWebhookStore (SQLite or
 * PostgreSQL through the metadata store), the only owner of the `ci_webhook*` tables.
 * Errors: NOT_FOUND for an unknown (or deleted) webhook, INVALID_ARGUMENT for bad input.
 */
export interface WebhookStore {
  create(webhook: NewWebhook): Promise<Webhook>;
  get(webhookId: string): Promise<Webhook>;
  /** Newest first, `maxResults` (1 to 1,000, default 100) a page. */
  list(options?: { maxResults?: number; pageToken?: string }): Promise<Page<Webhook>>;
  /** The active webhooks subscribed to `event`. */
  subscribers(event: WebhookEventName): Promise<Webhook[]>;
  update(webhookId: string, update: WebhookUpdate): Promise<Webhook>;
  delete(webhookId: string): Promise<void>;

  /** Records a delivery (or its latest attempt: the same `delivery_id` is updated). */
  recordDelivery(delivery: WebhookDelivery): Promise<void>;
  /** A webhook's deliveries, newest first. */
  deliveries(webhookId: string, options?: { maxResults?: number }): Promise<WebhookDelivery[]>;
}
