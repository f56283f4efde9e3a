import { typeErrorMessage } from './request-types.ts';

/** One ajv error as Fastify attaches it to a validation failure (`err.validation`). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
}

const SUFFIX = ' See the API docs for more information about request parameters.';

/** `/metrics/0/timestamp` → `metrics[0].timestamp`, as MLflow names nested fields. */
function fieldName(instancePath: string, child?: unknown): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (typeof child === 'string') parts.push(child);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 100 ? `${value.slice(0, 100)}…` : value}'`;
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 100 ? `${json.slice(0, 100)}…` : json;
}

/**
 * The message MLflow's server gives for a request that breaks its schema: "Missing value for
 * required parameter 'experiment_id'." for an absent or empty required field, "Invalid value …
 * for parameter '…' supplied:  Hint: Value was of type 'str'." for a value of the wrong type,
 * "Invalid value … for parameter '…' supplied" otherwise, each followed by MLflow's pointer to
 * the API docs.
 */
export function mlflowValidationMessage(
  errors: readonly SchemaError[] | undefined,
  fallback: string,
): string {
  const first = errors?.[0];
  if (!first) return fallback;
  if (first.keyword === 'required')
    return `Missing value for required parameter '${fieldName(first.instancePath, first.params.missingProperty)}'.${SUFFIX}`;
  const field = fieldName(first.instancePath);
  if (first.keyword === 'minLength' && first.params.limit === 1)
    return `Missing value for required parameter '${field}'.${SUFFIX}`;
  if (first.keyword === 'type' && 'data' in first) return typeErrorMessage(field || 'request', first.data);
  const value = 'data' in first ? `${shown(first.data)} ` : '';
  return `Invalid value ${value}for parameter '${field || 'request'}' supplied: ${first.message ?? first.keyword}.${SUFFIX}`;
}
