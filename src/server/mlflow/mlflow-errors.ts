import type { ErrorCode } from '../../kernel/errors.ts';

/**
 * How Cairn's error codes appear to MLflow clients: MLflow's `error_code` names and the HTTP
 * status MLflow's server uses for each (note RESOURCE_ALREADY_EXISTS is 400 in MLflow, not 409).
 */
export const MLFLOW_ERRORS: Record<ErrorCode, { error_code: string; status: number }> = {
  INVALID_ARGUMENT: { error_code: 'INVALID_PARAMETER_VALUE', status: 400 },
  NOT_FOUND: { error_code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  ALREADY_EXISTS: { error_code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  FAILED_PRECONDITION: { error_code: 'INVALID_STATE', status: 400 },
  INTEGRITY_ERROR: { error_code: 'DATA_LOSS', status: 500 },
  UNAVAILABLE: { error_code: 'TEMPORARILY_UNAVAILABLE', status: 503 },
  UNAUTHENTICATED: { error_code: 'UNAUTHENTICATED', status: 401 },
  PERMISSION_DENIED: { error_code: 'PERMISSION_DENIED', status: 403 },
  RESOURCE_EXHAUSTED: { error_code: 'RESOURCE_EXHAUSTED', status: 429 },
  CONFLICT: { error_code: 'ABORTED', status: 409 },
  CANCELLED: { error_code: 'CANCELLED', status: 499 },
  DEADLINE_EXCEEDED: { error_code: 'DEADLINE_EXCEEDED', status: 504 },
  INTERNAL: { error_code: 'INTERNAL_ERROR', status: 500 },
};
