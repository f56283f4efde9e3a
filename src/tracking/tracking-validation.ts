import { errors } from '../kernel/errors.ts';
import type { DatasetInput, LogBatch, Metric, MetricSampleOptions, Param, Tag } from './tracking-types.ts';

/**
 * MLflow's input limits (mlflow/utils/validation.py), checked before anything is written. Where
 * MLflow would silently truncate a long param or tag value, Cairn rejects it: nothing is lost.
 */
export const LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  datasetsPerBatch: 1000,
  entityKeyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagKeyLength: 250,
  experimentTagValueLength: 5000,
  datasetNameLength: 500,
  datasetDigestLength: 36,
  datasetSourceLength: 65535,
  datasetSchemaLength: 1048575,
  datasetProfileLength: 16777215,
  inputTagKeyLength: 255,
  inputTagValueLength: 500,
  maxResults: 50_000,
  defaultMaxResults: 1000,
  /** metrics/get-history-bulk and …-bulk-interval (mlflow/server/handlers.py). */
  runsPerHistoryRequest: 100,
  bulkHistoryResults: 25_000,
  sampledValuesPerRun: 2500,
} as const;

// MLflow (outside Windows) allows letters, digits, underscore, dot, dash, space, colon and slash.
const VALID_NAME = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

function invalidValue(path: string, value: unknown, message?: string) {
  const shown = JSON.stringify(value) ?? String(value);
  return errors.invalid(
    message
      ? `Invalid value ${shown} for parameter '${path}' supplied: ${message}`
      : `Invalid value ${shown} for parameter '${path}' supplied.`,
  );
}

function at(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

/** Python's posixpath.normpath, which MLflow uses to reject names that would alias as files. */
export function normpath(path: string): string {
  if (path === '') return '.';
  const leading = path.startsWith('//') && !path.startsWith('///') ? 2 : path.startsWith('/') ? 1 : 0;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (leading === 0 && parts.length === 0) || parts.at(-1) === '..') parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  return '/'.repeat(leading) + parts.join('/') || '.';
}

function validateName(kind: string, name: unknown, path: string): void {
  if (typeof name !== 'string')
    throw invalidValue(path, name ?? '', `${kind} name cannot be empty. A key name must be provided.`);
  if (!VALID_NAME.test(name)) throw invalidValue(path, name, BAD_CHARACTERS);
  const norm = normpath(name);
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/'))
    throw invalidValue(
      path,
      name,
      `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
}

function validateLength(what: string, limit: number, value: string): void {
  if (value.length > limit)
    throw errors.invalid(`'${what}' exceeds the maximum length of ${limit} characters`);
}

function validateString(path: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidValue(path, value ?? null, 'expected a string');
}

export function validateMetric(metric: Metric, path = ''): void {
  validateName('Metric', metric.key, at(path, 'name'));
  const { key, value, timestamp, step } = metric;
  if (typeof value !== 'number')
    throw invalidValue(
      at(path, 'value'),
      value ?? null,
      `(timestamp=${timestamp}). Please specify value as a valid double (64-bit floating point)`,
    );
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw invalidValue(
      at(path, 'timestamp'),
      timestamp ?? null,
      `metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  if (!Number.isSafeInteger(step))
    throw invalidValue(
      at(path, 'step'),
      step ?? null,
      `metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
    );
  validateLength('Metric name', LIMITS.entityKeyLength, key);
}

export function validateParam(param: Param, path = ''): void {
  validateName('Param', param.key, at(path, 'key'));
  validateLength('Param key', LIMITS.entityKeyLength, param.key);
  validateString(at(path, 'value'), param.value);
  validateLength('Param value', LIMITS.paramValueLength, param.value);
}

export function validateTag(tag: Tag, path = ''): void {
  validateName('Tag', tag.key, at(path, 'key'));
  validateLength(at(path, 'key'), LIMITS.entityKeyLength, tag.key);
  validateString(at(path, 'value'), tag.value);
  validateLength(at(path, 'value'), LIMITS.tagValueLength, tag.value);
}

export function validateExperimentTag(tag: Tag): void {
  validateName('Tag', tag.key, 'key');
  validateLength('key', LIMITS.experimentTagKeyLength, tag.key);
  validateString('value', tag.value);
  validateLength('value', LIMITS.experimentTagValueLength, tag.value);
}

export function validateExperimentName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '')
    throw errors.invalid(`Invalid experiment name: '${typeof name === 'string' ? name : String(name)}'`);
  if (name.length > LIMITS.experimentNameLength)
    throw errors.invalid(
      `Experiment name exceeds the maximum length of ${LIMITS.experimentNameLength} characters`,
    );
}

function validateBatchLimit(what: string, limit: number, count: number): void {
  if (count > limit)
    throw errors.invalid(
      `A batch logging request can contain at most ${limit} ${what}. Got ${count} ${what}. Please split up ${what} across multiple requests and try again.`,
    );
}

/**
 * Checks a whole batch, then returns it with repeated entries folded: a param repeated with the
 * same value once, a tag repeated keeps its last value. A param repeated with another value fails.
 */
export function validateBatch(batch: LogBatch): Required<LogBatch> {
  const metrics = batch.metrics ?? [];
  const params = batch.params ?? [];
  const tags = batch.tags ?? [];
  validateBatchLimit('metrics', LIMITS.metricsPerBatch, metrics.length);
  validateBatchLimit('params', LIMITS.paramsPerBatch, params.length);
  validateBatchLimit('tags', LIMITS.tagsPerBatch, tags.length);
  validateBatchLimit(
    'metrics, params, and tags',
    LIMITS.entitiesPerBatch,
    metrics.length + params.length + tags.length,
  );
  metrics.forEach((m, i) => {
    validateMetric(m, `metrics[${i}]`);
  });
  params.forEach((p, i) => {
    validateParam(p, `params[${i}]`);
  });
  tags.forEach((t, i) => {
    validateTag(t, `tags[${i}]`);
  });
  const uniqueParams = new Map<string, Param>();
  const conflicting = new Set<string>();
  for (const p of params) {
    const seen = uniqueParams.get(p.key);
    if (seen && seen.value !== p.value) conflicting.add(p.key);
    else uniqueParams.set(p.key, p);
  }
  if (conflicting.size > 0)
    throw errors.invalid(
      `Duplicate parameter keys have been submitted: ${JSON.stringify([...conflicting])}. Please ensure the request contains only one param value per param key.`,
    );
  const lastTags = new Map(tags.map((t) => [t.key, t]));
  return { metrics, params: [...uniqueParams.values()], tags: [...lastTags.values()] };
}

export function validateDatasetInputs(inputs: readonly DatasetInput[]): void {
  validateBatchLimit('datasets', LIMITS.datasetsPerBatch, inputs.length);
  inputs.forEach((input, i) => {
    const d = input?.dataset;
    const path = `datasets[${i}].dataset`;
    if (!d) throw errors.invalid(`Dataset input ${i} must have a dataset associated with it.`);
    for (const field of ['name', 'digest', 'source_type', 'source'] as const) {
      validateString(`${path}.${field}`, d[field]);
      if (d[field] === '') throw errors.invalid(`Missing value for required parameter '${path}.${field}'.`);
    }
    validateLength('Dataset name', LIMITS.datasetNameLength, d.name);
    validateLength('Dataset digest', LIMITS.datasetDigestLength, d.digest);
    validateLength('Dataset source', LIMITS.datasetSourceLength, d.source);
    if (d.schema !== undefined) validateLength('Dataset schema', LIMITS.datasetSchemaLength, d.schema);
    if (d.profile !== undefined) validateLength('Dataset profile', LIMITS.datasetProfileLength, d.profile);
    for (const tag of input.tags ?? []) {
      validateString(`datasets[${i}].tags.key`, tag.key);
      validateString(`datasets[${i}].tags.value`, tag.value);
      if (tag.key === '')
        throw errors.invalid(`Missing value for required parameter 'datasets[${i}].tags.key'.`);
      validateLength('Input tag key', LIMITS.inputTagKeyLength, tag.key);
      validateLength('Input tag value', LIMITS.inputTagValueLength, tag.value);
    }
  });
}

/** max_results for searches: default 1,000, between 1 and `cap` (50,000, MLflow's limit). */
export function validateMaxResults(
  value: number | undefined,
  fallback: number = LIMITS.defaultMaxResults,
  cap: number = LIMITS.maxResults,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw errors.invalid(`Invalid value for max_results. It must be a positive integer, but got ${value}`);
  if (value > cap)
    throw errors.invalid(`Invalid value for max_results. It must be at most ${cap}, but got ${value}`);
  return value;
}

const SEE_DOCS = ' See the API docs for more information about request parameters.';

/**
 * Checks a bulk history read the way MLflow's server does (its messages too) and returns how
 * many values to read: `maxResults` capped at 25,000, the default.
 */
export function validateHistoryBulk(runIds: readonly string[], key: string, maxResults?: number): number {
  if (runIds.length === 0)
    throw errors.invalid('GetMetricHistoryBulk request must specify at least one run_id.');
  if (runIds.length > LIMITS.runsPerHistoryRequest)
    throw errors.invalid(
      `GetMetricHistoryBulk request cannot specify more than ${LIMITS.runsPerHistoryRequest} run_ids. Received ${runIds.length} run_ids.`,
    );
  if (!key) throw errors.invalid('GetMetricHistoryBulk request must specify a metric_key.');
  if (maxResults !== undefined && !Number.isSafeInteger(maxResults))
    throw invalidValue('max_results', maxResults, 'expected an integer');
  return Math.min(maxResults ?? LIMITS.bulkHistoryResults, LIMITS.bulkHistoryResults);
}

/**
 * Checks a sampled history read as MLflow's server does and returns the values to keep per run
 * (default 2,500) and the step range, if any.
 */
export function validateHistorySample(
  runIds: readonly string[],
  key: string,
  options: MetricSampleOptions,
): { perRun: number; steps?: { start: number; end: number } } {
  if (runIds.length === 0) throw errors.invalid(`Missing value for required parameter 'run_ids'.${SEE_DOCS}`);
  if (runIds.length > LIMITS.runsPerHistoryRequest)
    throw errors.invalid(
      `GetMetricHistoryBulkInterval request must specify at most ${LIMITS.runsPerHistoryRequest} run_ids. Received ${runIds.length} run_ids.${SEE_DOCS}`,
    );
  if (!key) throw errors.invalid(`Missing value for required parameter 'metric_key'.${SEE_DOCS}`);
  const perRun = options.max_results ?? LIMITS.sampledValuesPerRun;
  if (!Number.isSafeInteger(perRun) || perRun < 1 || perRun > LIMITS.sampledValuesPerRun)
    throw errors.invalid(`max_results must be between 1 and ${LIMITS.sampledValuesPerRun}.${SEE_DOCS}`);
  const { start_step: start, end_step: end } = options;
  if (start === undefined && end === undefined) return { perRun };
  if (start === undefined || end === undefined)
    throw errors.invalid('If either start step or end step are specified, both must be specified.');
  if (start > end)
    throw errors.invalid(
      `end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`,
    );
  return { perRun, steps: { start, end } };
}
