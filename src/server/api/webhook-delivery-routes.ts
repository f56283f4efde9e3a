import type { FastifyInstance } from 'fastify';
import { DELIVERY_STATES, WEBHOOK_EVENTS } from '../../ci/webhooks/webhook-types.ts';
import type { RouteModule } from '../create-server.ts';
import { API_ERROR_SCHEMA } from './openapi-schemas.ts';

const DELIVERY_SCHEMA = {
  type: 'object',
  required: ['delivery_id', 'webhook_id', 'event', 'state', 'attempts', 'created_at', 'updated_at'],
  properties: {
    delivery_id: { type: 'string', description: 'also the X-MLflow-Delivery-Id header of every attempt' },
    webhook_id: { type: 'string' },
    event: { type: 'string', enum: [...WEBHOOK_EVENTS] },
    state: { type: 'string', enum: [...DELIVERY_STATES] },
    attempts: { type: 'integer' },
    response_status: { type: 'integer', description: "the receiver's status at the latest attempt" },
    error: { type: 'string', description: 'why the latest attempt failed' },
    created_at: { type: 'integer', description: 'ms since the epoch' },
    updated_at: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

const DELIVERIES_ROUTE_SCHEMA = {
  operationId: 'listWebhookDeliveries',
  tags: ['webhooks'],
  summary: "A webhook's deliveries",
  description: 'Newest first: each event sent to the webhook, with the outcome of its latest attempt.',
  params: {
    type: 'object',
    required: ['webhook_id'],
    properties: { webhook_id: { type: 'string', minLength: 1 } },
  },
  querystring: {
    type: 'object',
    properties: { max_results: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['deliveries'],
      properties: { deliveries: { type: 'array', items: DELIVERY_SCHEMA } },
    },
    404: API_ERROR_SCHEMA,
  },
} as const;

/** `GET /api/v1/webhooks/:webhook_id/deliveries`: the record of a webhook's deliveries. */
export const webhookDeliveryRoutes: RouteModule = (app: FastifyInstance, deps) => {
  const service = deps.webhooks;
  if (!service) return;
  app.get<{ Params: { webhook_id: string }; Querystring: { max_results: number } }>(
    '/webhooks/:webhook_id/deliveries',
    { schema: DELIVERIES_ROUTE_SCHEMA },
    async (request) => ({
      deliveries: await service.deliveries(request.params.webhook_id, {
        maxResults: request.query.max_results,
      }),
    }),
  );
};
