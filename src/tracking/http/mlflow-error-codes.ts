import type { ErrorCode } from '../../kernel/errors.ts';

/**
 * MLflow's `error_code` names (mlflow/protos/databricks.proto) and the Cairn code each one
 * becomes when a client rebuilds an error from a server's `{error_code, message}` body.
 */
const FROM_MLFLOW: Record<string, ErrorCode> = {
  INVALID_PARAMETER_VALUE: 'INVALID_ARGUMENT',
  BAD_REQUEST: 'INVALID_ARGUMENT',
  INVALID_REQUEST: 'INVALID_ARGUMENT',
  MALFORMED_REQUEST: 'INVALID_ARGUMENT',
  INVALID_STATE_TRANSITION: 'FAILED_PRECONDITION',
  INVALID_STATE: 'FAILED_PRECONDITION',
  RESOURCE_DOES_NOT_EXIST: 'NOT_FOUND',
  NOT_FOUND: 'NOT_FOUND',
  ENDPOINT_NOT_FOUND: 'NOT_FOUND',
  RESOURCE_ALREADY_EXISTS: 'ALREADY_EXISTS',
  RESOURCE_CONFLICT: 'CONFLICT',
  ABORTED: 'CONFLICT',
  DATA_LOSS: 'INTEGRITY_ERROR',
  TEMPORARILY_UNAVAILABLE: 'UNAVAILABLE',
  SERVICE_UNDER_MAINTENANCE: 'UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  REQUEST_LIMIT_EXCEEDED: 'RESOURCE_EXHAUSTED',
  CUSTOMER_UNAUTHORIZED: 'PERMISSION_DENIED',
  CANCELLED: 'CANCELLED',
  INTERNAL_ERROR: 'INTERNAL',
};

const FROM_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'RESOURCE_EXHAUSTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'UNAVAILABLE',
};

/** The Cairn error code for an MLflow error answer: by `error_code`, else by HTTP status. */
export function errorCodeFromMlflow(errorCode: unknown, status: number): ErrorCode {
  const known = typeof errorCode === 'string' ? FROM_MLFLOW[errorCode] : undefined;
  return known ?? FROM_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}
