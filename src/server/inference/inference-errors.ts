import type { FastifyReply } from 'fastify';
import { ERROR_CODES, isCairnError } from '../../kernel/errors.ts';
import { MLFLOW_ERRORS } from '../mlflow/mlflow-errors.ts';

/** Which protocol a route speaks, and so which error body it answers with. */
export const ERROR_STYLES = ['v2', 'mlflow', 'cairn'] as const;
export type ErrorStyle = (typeof ERROR_STYLES)[number];

export interface HttpFailure {
  status: number;
  message: string;
  code: string;
  details?: Record<string, unknown>;
  /** Seconds, for a 503 that asks the client to come back. */
  retryAfter?: number;
}

/** What an error means over HTTP; anything that is not a CairnError is a 500 with no internals. */
export function failureOf(err: unknown): HttpFailure {
  if (isCairnError(err)) {
    const retry = err.details?.retry_after_s;
    const status = err.details?.http_status;
    return {
      status: typeof status === 'number' ? status : ERROR_CODES[err.code].http,
      message: err.hint ? `${err.message} — ${err.hint}` : err.message,
      code: err.code,
      ...(err.details && status === undefined ? { details: err.details } : {}),
      ...(typeof retry === 'number' ? { retryAfter: retry } : {}),
    };
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e?.statusCode === 413 || e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return {
      status: 413,
      code: 'RESOURCE_EXHAUSTED',
      message: 'the request body is larger than the server accepts',
    };
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e?.statusCode === 415)
    return { status: 415, code: 'INVALID_ARGUMENT', message: e.message ?? 'unsupported content type' };
  if (e?.validation || e?.statusCode === 400)
    return { status: 400, code: 'INVALID_ARGUMENT', message: `invalid request: ${e.message}` };
  return { status: 500, code: 'INTERNAL', message: 'internal server error' };
}

/**
 * Sends a failure in the route's protocol: V2 `{"error": …}`, MLflow scoring
 * `{"error_code", "message"}` (input errors are BAD_REQUEST, as MLflow's scoring server says),
 * Cairn's `{"code", "message", "details"}`. A 503 carries Retry-After.
 */
export function sendFailure(reply: FastifyReply, style: ErrorStyle, failure: HttpFailure): FastifyReply {
  reply.status(failure.status);
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  reply.header('content-type', 'application/json');
  if (style === 'v2') return reply.send(JSON.stringify({ error: failure.message }));
  if (style === 'mlflow') {
    const known = MLFLOW_ERRORS[failure.code as keyof typeof MLFLOW_ERRORS];
    const errorCode =
      failure.status === 400 || failure.status === 415
        ? 'BAD_REQUEST'
        : failure.status === 413
          ? 'RESOURCE_EXHAUSTED'
          : failure.status === 404 && failure.code === 'ROUTE'
            ? 'ENDPOINT_NOT_FOUND'
            : (known?.error_code ?? 'INTERNAL_ERROR');
    return reply.send(JSON.stringify({ error_code: errorCode, message: failure.message }));
  }
  return reply.send(
    JSON.stringify({
      code: failure.code,
      message: failure.message,
      ...(failure.details ? { details: failure.details } : {}),
    }),
  );
}

/** The error style of a URL: `/v2…` is V2, the scoring routes are MLflow's, the rest Cairn's. */
export function styleOf(url: string): ErrorStyle {
  if (url.startsWith('/v2')) return 'v2';
  if (url.startsWith('/invocations') || url.startsWith('/endpoints/')) return 'mlflow';
  return 'cairn';
}
