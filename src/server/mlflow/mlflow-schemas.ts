import type { FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import { bodyTypeError } from './request-types.ts';

/**
 * JSON-schema pieces for MLflow's request messages. Types follow protobuf's JSON mapping as
 * MLflow's server reads it: int64 fields accept numbers or numeric strings (the ajv instance
 * coerces), doubles also accept "NaN" / "Infinity", enums their name or number. Unknown fields
 * are ignored, as MLflow's parser does. A required field that is absent or empty fails with
 * "Missing value for required parameter '<field>'" (see validation-message.ts).
 */
export const required = { type: 'string', minLength: 1 } as const;
export const text = { type: 'string' } as const;
export const int64 = { type: 'integer' } as const;
export const double = { type: ['number', 'string'] } as const;
export const enumValue = { type: ['string', 'integer'] } as const;
export const textList = { type: 'array', items: { type: 'string' } } as const;

export const tag = {
  type: 'object',
  required: ['key'],
  properties: { key: required, value: text },
} as const;
export const tagList = { type: 'array', items: tag } as const;

export const metric = {
  type: 'object',
  required: ['key', 'value', 'timestamp'],
  properties: {
    key: required,
    value: double,
    timestamp: int64,
    step: int64,
    dataset_name: text,
    dataset_digest: text,
    model_id: text,
    run_id: text,
  },
} as const;

/** A body schema: an object with these properties, of which `requiredFields` must be present. */
export function body(properties: Record<string, unknown>, requiredFields: readonly string[] = []) {
  return { type: 'object', required: [...requiredFields], properties } as const;
}

/** The same shape for a GET endpoint's query string. */
export const query = body;

/**
 * Normalises a request the way MLflow's server reads it, before validation: a POST without a
 * body is an empty message, a JSON body that is itself a JSON string (what old clients send) is
 * decoded once more, and `run_uuid` (the field's old name) stands in for a missing `run_id`.
 * Then a body's JSON types are checked as protobuf's JSON mapping reads them (request-types.ts).
 * Installed on every MLflow route by createServer.
 */
export async function normaliseMlflowRequest(request: FastifyRequest): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    if (request.body === undefined || request.body === null) request.body = {};
    else if (typeof request.body === 'string' && isJson(request.headers))
      request.body = decodeOnce(request.body);
  }
  for (const part of [request.body, request.query]) {
    if (typeof part !== 'object' || part === null || Array.isArray(part)) continue;
    const fields = part as Record<string, unknown>;
    if ((fields.run_id === undefined || fields.run_id === '') && fields.run_uuid !== undefined)
      fields.run_id = fields.run_uuid;
  }
  const mistyped = bodyTypeError(request.routeOptions.schema?.body, request.body);
  if (mistyped !== undefined) throw errors.invalid(mistyped);
}

function isJson(headers: FastifyRequest['headers']): boolean {
  return /^application\/json\b/i.test(String(headers['content-type'] ?? ''));
}

function decodeOnce(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
