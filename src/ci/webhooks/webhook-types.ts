import { errors } from '../../kernel/errors.ts';
import type { RegistryEventType } from '../../registry/events/registry-events.ts';

/**
 * The events a webhook can subscribe to: MLflow's model-registry events (MLflow's prompt and
 * budget events are not served by Cairn), and Cairn's own.
 */
export const WEBHOOK_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'gate_result.created',
  'deployment.applied',
  'deployment.rolled_back',
] as const satisfies readonly RegistryEventType[];
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export const WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** A webhook as the store keeps it. The secret is write-only: the API never returns it. */
export interface Webhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: WebhookEventName[];
  status: WebhookStatus;
  /** Signs each delivery (HMAC-SHA256, MLflow's scheme) when set. */
  secret?: string;
  /** Milliseconds since the epoch. */
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface NewWebhook {
  name: string;
  url: string;
  events: WebhookEventName[];
  description?: string;
  secret?: string;
  status?: WebhookStatus;
}

/** Fields to change; absent fields are left as they are. */
export interface WebhookUpdate {
  name?: string;
  url?: string;
  events?: WebhookEventName[];
  description?: string;
  secret?: string;
  status?: WebhookStatus;
}

export const DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One event sent (or being sent) to one webhook, with the outcome of its last attempt. */
export interface WebhookDelivery {
  /** Also the `X-MLflow-Delivery-Id` header; the same on every attempt. */
  delivery_id: string;
  webhook_id: string;
  event: WebhookEventName;
  state: DeliveryState;
  attempts: number;
  /** The receiver's last HTTP status, when it answered. */
  response_status?: number;
  /** Why the last attempt failed (a timeout, a refused address, a status). */
  error?: string;
  created_at: number;
  updated_at: number;
}

// MLflow's rule: 1 to 63 characters, letters, digits, `.`, `_`, `-`, starting and ending with a
// letter or digit.
const NAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

export function validateWebhookName(name: string): void {
  if (!NAME.test(name))
    throw errors.invalid(
      `Webhook name '${name}' is invalid. It must start and end with a letter or digit, be less than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).`,
    );
}

export function validateWebhookEvents(events: readonly string[]): asserts events is WebhookEventName[] {
  if (events.length === 0) throw errors.invalid('Webhook events must be a non-empty list of events.');
  for (const e of events)
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e))
      throw errors.invalid(
        `Webhook event '${e}' is not supported (supported: ${WEBHOOK_EVENTS.join(', ')}).`,
      );
}
