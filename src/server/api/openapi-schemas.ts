import { ERROR_CODE_NAMES } from '../../kernel/errors.ts';

/**
 * The body of every error Cairn's own endpoints answer. Routes name it in their `response`
 * schema for the error statuses they produce; the OpenAPI document refers to it as
 * `#/components/schemas/Error`. `details` stays open (`additionalProperties`), or Fastify's
 * serializer would send it empty.
 */
export const API_ERROR_SCHEMA = {
  type: 'object',
  description: "Cairn's error body; the HTTP status matches `code` (see docs/errors.md).",
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: [...ERROR_CODE_NAMES] },
    message: { type: 'string', description: 'What went wrong, and what to do about it.' },
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'Machine-readable context: a path, an id, the role a route needs.',
    },
  },
} as const;

export const HEALTHZ_ROUTE_SCHEMA = {
  operationId: 'liveness',
  tags: ['health'],
  summary: 'Liveness',
  description: 'Answers as long as the process serves HTTP; it touches no backend.',
  response: {
    200: { type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } },
  },
} as const;

export const READYZ_ROUTE_SCHEMA = {
  operationId: 'readiness',
  tags: ['health'],
  summary: 'Readiness',
  description: 'Ready when the metadata store and the artifact store both answer; 503 otherwise.',
  response: {
    200: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', const: 'ready' } },
    },
    503: API_ERROR_SCHEMA,
  },
} as const;

const open = { type: 'object', additionalProperties: true } as const;

export const OPENAPI_ROUTE_SCHEMA = {
  operationId: 'getOpenApiDocument',
  tags: ['openapi'],
  summary: 'This OpenAPI document',
  description:
    "Cairn's own API (/api/v1, /healthz, /readyz) as OpenAPI 3.1, generated from the routes the server registered.",
  response: {
    200: {
      type: 'object',
      description: 'An OpenAPI 3.1 document.',
      required: ['openapi', 'info', 'paths', 'components'],
      properties: { openapi: { type: 'string' }, info: open, paths: open, components: open },
      additionalProperties: true,
    },
  },
} as const;
