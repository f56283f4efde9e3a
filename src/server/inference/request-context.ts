import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import type { InferResult } from '../../serving/inference-service.ts';
import type { Endpoint } from '../../serving/router/endpoint.ts';

/** Per-request values the routes share with the error handler. */
export interface RequestState {
  startedAt: number;
  endpoint?: string;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The caller's `x-request-id` when it is a sane token, else a fresh UUID. Called as the request
 * arrives (Fastify's genReqId), so it also starts the request's clock.
 */
export function requestIdOf(req: IncomingMessage): string {
  (req as IncomingMessage & { cairn?: RequestState }).cairn = { startedAt: performance.now() };
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Timing, the request id and the route's endpoint, kept with the raw request. */
export function stateOf(request: FastifyRequest): RequestState {
  const raw = request.raw as IncomingMessage & { cairn?: RequestState };
  raw.cairn ??= { startedAt: performance.now() };
  return raw.cairn;
}

/** Response headers that say which request, variant and version answered. */
export function tagReply(reply: FastifyReply, request: FastifyRequest, result?: InferResult): void {
  reply.header('x-request-id', request.id);
  if (result) {
    const m = result.variant.model.model;
    reply.header('x-cairn-variant', result.variant.name);
    reply.header('x-cairn-model', m.name);
    reply.header('x-cairn-model-version', m.version);
  }
}

/** `x-cairn-timeout-ms`: a deadline shorter than the endpoint's, in milliseconds. */
export function timeoutHeader(request: FastifyRequest): number | undefined {
  const raw = request.headers['x-cairn-timeout-ms'];
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(ms) || ms <= 0)
    throw errors.invalid(
      `x-cairn-timeout-ms must be a positive number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  return ms;
}

/** The variant a request names (`x-cairn-variant`) and the value of its endpoint's sticky header. */
export function routeHints(
  request: FastifyRequest,
  endpoint: Endpoint | undefined,
): { variant?: string; stickyKey?: string } {
  const hints: { variant?: string; stickyKey?: string } = {};
  const variant = request.headers['x-cairn-variant'];
  if (typeof variant === 'string' && variant !== '') hints.variant = variant;
  const sticky = endpoint?.routing.stickyHeader;
  if (sticky) {
    const key = request.headers[sticky];
    if (typeof key === 'string' && key !== '') hints.stickyKey = key;
  }
  return hints;
}
