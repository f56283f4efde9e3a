import type { FastifyInstance } from 'fastify';
import type { WebhookService } from '../../ci/webhooks/webhook-service.ts';
import {
  WEBHOOK_STATUSES,
  type Webhook,
  type WebhookEventName,
  type WebhookStatus,
} from '../../ci/webhooks/webhook-types.ts';
import { errors } from '../../kernel/errors.ts';
import type { RouteModule } from '../create-server.ts';
import { body, enumValue, int64, query, required, text } from './mlflow-schemas.ts';

/** A webhook event in MLflow's JSON: protobuf enum names (or numbers) for entity and action. */
interface EventJson {
  entity?: string | number;
  action?: string | number;
}

// MLflow's enum numbers (mlflow/protos/webhooks.proto); Cairn's own entities and actions have names only.
const ENTITY_NUMBERS = ['', 'registered_model', 'model_version', 'model_version_tag', 'model_version_alias'];
const ACTION_NUMBERS = ['', 'created', 'updated', 'deleted', 'set'];

const eventSchema = {
  type: 'object',
  properties: { entity: enumValue, action: enumValue },
} as const;
const events = { type: 'array', items: eventSchema } as const;

const SCHEMAS = {
  create: {
    body: body(
      { name: required, url: required, events, description: text, secret: text, status: enumValue },
      ['name', 'url', 'events'],
    ),
  },
  list: { querystring: query({ max_results: int64, page_token: text }) },
  id: { params: { type: 'object', properties: { webhook_id: text }, required: ['webhook_id'] } },
  update: {
    params: { type: 'object', properties: { webhook_id: text }, required: ['webhook_id'] },
    body: body({ name: text, url: text, events, description: text, secret: text, status: enumValue }),
  },
  test: {
    params: { type: 'object', properties: { webhook_id: text }, required: ['webhook_id'] },
    body: body({ event: eventSchema }),
  },
} as const;

function eventName(e: EventJson): WebhookEventName {
  const part = (v: string | number | undefined, numbers: string[]) =>
    typeof v === 'number' ? (numbers[v] ?? '') : String(v ?? '').toLowerCase();
  return `${part(e.entity, ENTITY_NUMBERS)}.${part(e.action, ACTION_NUMBERS)}` as WebhookEventName;
}

function eventJson(name: WebhookEventName): { entity: string; action: string } {
  const [entity, action] = name.split('.') as [string, string];
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}

function status(value: string | number | undefined): WebhookStatus | undefined {
  if (value === undefined || value === '' || value === 0) return undefined;
  const s = typeof value === 'number' ? WEBHOOK_STATUSES[value - 1] : value.toUpperCase();
  if (!(WEBHOOK_STATUSES as readonly (string | undefined)[]).includes(s))
    throw errors.invalid(`Invalid webhook status '${value}' (ACTIVE or DISABLED).`);
  return s as WebhookStatus;
}

/** A webhook in MLflow's JSON; the secret is never sent back. */
function webhookJson(w: Webhook) {
  return {
    webhook_id: w.webhook_id,
    name: w.name,
    ...(w.description ? { description: w.description } : {}),
    url: w.url,
    events: w.events.map(eventJson),
    status: w.status,
    creation_timestamp: w.creation_timestamp,
    last_updated_timestamp: w.last_updated_timestamp,
  };
}

interface WebhookFields {
  name?: string;
  url?: string;
  events?: EventJson[];
  description?: string;
  secret?: string;
  status?: string | number;
}

/**
 * MLflow 3's webhooks API (mlflow/protos/webhooks.proto: create, list, get, update, delete, test),
 * mounted under /api/2.0/mlflow and /ajax-api/2.0/mlflow when the server has a WebhookService.
 */
export const webhookRoutes: RouteModule = (app: FastifyInstance, deps) => {
  const service: WebhookService | undefined = deps.webhooks;
  if (!service) return;

  app.post<{ Body: WebhookFields }>('/webhooks', { schema: SCHEMAS.create }, async (request) => {
    const b = request.body;
    const st = status(b.status);
    const webhook = await service.create({
      name: b.name as string,
      url: b.url as string,
      events: (b.events ?? []).map(eventName),
      ...(b.description ? { description: b.description } : {}),
      ...(b.secret ? { secret: b.secret } : {}),
      ...(st ? { status: st } : {}),
    });
    return { webhook: webhookJson(webhook) };
  });
  app.get<{ Querystring: { max_results?: number; page_token?: string } }>(
    '/webhooks',
    { schema: SCHEMAS.list },
    async (request) => {
      const page = await service.list({
        ...(request.query.max_results !== undefined ? { maxResults: request.query.max_results } : {}),
        ...(request.query.page_token ? { pageToken: request.query.page_token } : {}),
      });
      return {
        webhooks: page.items.map(webhookJson),
        ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
      };
    },
  );
  app.get<{ Params: { webhook_id: string } }>(
    '/webhooks/:webhook_id',
    { schema: SCHEMAS.id },
    async (request) => ({
      webhook: webhookJson(await service.get(request.params.webhook_id)),
    }),
  );
  app.patch<{ Params: { webhook_id: string }; Body: WebhookFields }>(
    '/webhooks/:webhook_id',
    { schema: SCHEMAS.update },
    async (request) => {
      const b = request.body;
      const st = status(b.status);
      // As MLflow's handler: an empty name, URL or event list means "unchanged".
      const webhook = await service.update(request.params.webhook_id, {
        ...(b.name ? { name: b.name } : {}),
        ...(b.url ? { url: b.url } : {}),
        ...(b.events && b.events.length > 0 ? { events: b.events.map(eventName) } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.secret !== undefined ? { secret: b.secret } : {}),
        ...(st ? { status: st } : {}),
      });
      return { webhook: webhookJson(webhook) };
    },
  );
  app.delete<{ Params: { webhook_id: string } }>(
    '/webhooks/:webhook_id',
    { schema: SCHEMAS.id },
    async (request) => {
      await service.delete(request.params.webhook_id);
      return {};
    },
  );
  app.post<{ Params: { webhook_id: string }; Body: { event?: EventJson } }>(
    '/webhooks/:webhook_id/test',
    { schema: SCHEMAS.test },
    async (request) => {
      const event = request.body.event;
      const named =
        event && (event.entity !== undefined || event.action !== undefined) ? eventName(event) : undefined;
      if (named !== undefined && !service.supports(named))
        throw errors.invalid(`Webhook event '${named}' is not supported.`);
      return { result: await service.test(request.params.webhook_id, named) };
    },
  );
};
