import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import type { LoggedModelDatasetFilter, SearchLoggedModelsOptions } from '../logged-model-types.ts';
import { type Comparison, parseFilter } from '../search-filter.ts';
import { numberComparison, type SqlFragment, textComparison } from './sql-compare.ts';

/** Columns of tracking_logged_models (alias `m`) a filter or order_by may name, by MLflow's names. */
const TEXT_ATTRIBUTES: Record<string, string> = {
  name: 'm.name',
  model_id: 'm.model_id',
  model_type: 'm.model_type',
  status: 'm.status',
  source_run_id: 'm.source_run_id',
};
const NUMBER_ATTRIBUTES: Record<string, string> = {
  creation_time: 'm.creation_timestamp_ms',
  creation_timestamp: 'm.creation_timestamp_ms',
  creation_timestamp_ms: 'm.creation_timestamp_ms',
  last_updated_timestamp: 'm.last_updated_timestamp_ms',
  last_updated_timestamp_ms: 'm.last_updated_timestamp_ms',
};
const TEXT_OPERATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMBER_OPERATORS = ['<', '<=', '>', '>=', '=', '!='];

function invalidOperator(c: Comparison, allowed: readonly string[]): Error {
  return errors.invalid(
    `Invalid comparison operator for ${c.identifier.entity ?? 'attribute'}s.${c.identifier.key}: '${c.comparator}'. Expected one of ${allowed.join(', ')}.`,
  );
}

function numberValue(c: Comparison): number {
  if (typeof c.value !== 'number')
    throw errors.invalid(
      `Invalid filter: ${c.identifier.key} is compared with a number, not ${JSON.stringify(c.value)}`,
    );
  return c.value;
}

function attribute(c: Comparison): SqlFragment {
  const key = c.identifier.key;
  const numeric = NUMBER_ATTRIBUTES[key];
  if (numeric !== undefined) {
    if (!NUMBER_OPERATORS.includes(c.comparator)) throw invalidOperator(c, NUMBER_OPERATORS);
    return numberComparison(numeric, c.comparator, numberValue(c));
  }
  const column = TEXT_ATTRIBUTES[key];
  if (column === undefined)
    throw errors.invalid(
      `Invalid filter: unknown attribute '${key}' (use ${[...Object.keys(TEXT_ATTRIBUTES), 'creation_timestamp', 'last_updated_timestamp'].join(', ')})`,
    );
  if (!TEXT_OPERATORS.includes(c.comparator)) throw invalidOperator(c, TEXT_OPERATORS);
  return textComparison(column, c.comparator, textValue(c));
}

function textValue(c: Comparison): string | string[] {
  if (typeof c.value === 'number') return String(c.value);
  if (c.value === null) throw errors.invalid(`Invalid filter: ${c.comparator} needs a value`);
  return c.value;
}

/** A tag or param comparison: the model has the key and its value compares true. */
function keyValue(table: string, c: Comparison): SqlFragment {
  if (!TEXT_OPERATORS.includes(c.comparator)) throw invalidOperator(c, TEXT_OPERATORS);
  const cmp = textComparison('kv.value', c.comparator, textValue(c));
  return {
    sql: `EXISTS (SELECT 1 FROM ${table} kv WHERE kv.model_id = m.model_id AND kv.key = ? AND ${cmp.sql})`,
    params: [c.identifier.key, ...cmp.params],
  };
}

/** `(mm.dataset_name = ? [AND mm.dataset_digest = ?]) OR …` over the metrics alias `mm`. */
function datasetCondition(datasets: readonly LoggedModelDatasetFilter[]): SqlFragment {
  const params: SqlValue[] = [];
  const parts = datasets.map((d) => {
    params.push(d.dataset_name);
    if (!d.dataset_digest) return 'mm.dataset_name = ?';
    params.push(d.dataset_digest);
    return '(mm.dataset_name = ? AND mm.dataset_digest = ?)';
  });
  return { sql: `(${parts.join(' OR ')})`, params };
}

/**
 * A metric comparison, as MLflow's SQL store makes it: the model has some value of the metric
 * (at any step, from any run; on one of `datasets` when given) that compares true. NaN satisfies
 * no comparison but !=.
 */
function metric(c: Comparison, datasets: readonly LoggedModelDatasetFilter[]): SqlFragment {
  if (!NUMBER_OPERATORS.includes(c.comparator)) throw invalidOperator(c, NUMBER_OPERATORS);
  const cmp = numberComparison('mm.value', c.comparator, numberValue(c));
  const value = c.comparator === '!=' ? `(mm.is_nan = 1 OR ${cmp.sql})` : `mm.is_nan = 0 AND ${cmp.sql}`;
  const onDatasets = datasets.length > 0 ? datasetCondition(datasets) : undefined;
  return {
    sql: `EXISTS (SELECT 1 FROM tracking_logged_model_metrics mm WHERE mm.model_id = m.model_id AND mm.key = ? AND ${value}${onDatasets ? ` AND ${onDatasets.sql}` : ''})`,
    params: [c.identifier.key, ...cmp.params, ...(onDatasets?.params ?? [])],
  };
}

function comparisonSql(c: Comparison, datasets: readonly LoggedModelDatasetFilter[]): SqlFragment {
  switch (c.identifier.entity) {
    case undefined:
    case 'attribute':
      return attribute(c);
    case 'tag':
      return keyValue('tracking_logged_model_tags', c);
    case 'param':
      return keyValue('tracking_logged_model_params', c);
    case 'metric':
      return metric(c, datasets);
    default:
      throw errors.invalid(
        `Invalid entity type: '${c.identifier.entity}s'. Expected one of ['attributes', 'metrics', 'params', 'tags'].`,
      );
  }
}

/**
 * order_by clauses. `metrics.<key>` sorts by the model's latest value of the metric (latest
 * timestamp, then step, then the first run id; on the clause's dataset when it names one),
 * through a left join; models without it come last, NaN just before them.
 */
function orderSql(
  orderBy: SearchLoggedModelsOptions['order_by'],
  experiments: SqlFragment,
): { joins: SqlFragment[]; order: string } {
  const joins: SqlFragment[] = [];
  const clauses: string[] = [];
  let byCreation = false;
  let byId = false;
  for (const [i, ob] of (orderBy ?? []).entries()) {
    const field = ob.field_name;
    const direction = ob.ascending === false ? 'DESC' : 'ASC';
    if (field.includes('.')) {
      const [entity, key] = [field.slice(0, field.indexOf('.')), field.slice(field.indexOf('.') + 1)];
      if (entity !== 'metrics')
        throw errors.invalid(`Invalid order by field name: ${field}. Only metrics are supported.`);
      const alias = `o${i}`;
      const on: string[] = ['key = ?'];
      const params: SqlValue[] = [...experiments.params, key];
      if (ob.dataset_name) {
        on.push('dataset_name = ?');
        params.push(ob.dataset_name);
      }
      if (ob.dataset_digest) {
        on.push('dataset_digest = ?');
        params.push(ob.dataset_digest);
      }
      joins.push({
        sql: `LEFT JOIN (
          SELECT model_id, value, is_nan, ROW_NUMBER() OVER (
            PARTITION BY model_id ORDER BY timestamp DESC, step DESC, run_uuid ASC) AS latest
          FROM tracking_logged_model_metrics
          WHERE experiment_id ${experiments.sql} AND ${on.join(' AND ')}
        ) ${alias} ON ${alias}.model_id = m.model_id AND ${alias}.latest = 1`,
        params,
      });
      clauses.push(
        `CASE WHEN ${alias}.model_id IS NULL THEN 2 WHEN ${alias}.is_nan = 1 THEN 1 ELSE 0 END`,
        `${alias}.value ${direction}`,
      );
      continue;
    }
    const column = NUMBER_ATTRIBUTES[field] ?? TEXT_ATTRIBUTES[field];
    if (column === undefined) throw errors.invalid(`Invalid order by field name: ${field}`);
    if (column === 'm.creation_timestamp_ms') byCreation = true;
    if (column === 'm.model_id') byId = true;
    // Nulls last, as MLflow does on every dialect.
    clauses.push(`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`, `${column} ${direction}`);
  }
  if (!byCreation) clauses.push('m.creation_timestamp_ms DESC');
  if (!byId) clauses.push('m.model_id ASC');
  return { joins, order: clauses.join(', ') };
}

/**
 * The joins, WHERE and ORDER BY of a logged-model search over `tracking_logged_models m`, with
 * MLflow's semantics (mlflow/store/tracking/sqlalchemy_store.py, search_logged_models). The
 * joins' parameters come before the WHERE's.
 */
export function buildLoggedModelSearch(options: SearchLoggedModelsOptions): {
  joins: SqlFragment[];
  where: SqlFragment;
  order: string;
} {
  const ids = options.experiment_ids;
  if (!Array.isArray(ids) || ids.length === 0)
    throw errors.invalid("Missing value for required parameter 'experiment_ids'.");
  const datasets = options.datasets ?? [];
  if (datasets.some((d) => !d?.dataset_name))
    throw errors.invalid('`dataset_name` in the `datasets` clause must be specified.');
  const experiments: SqlFragment = { sql: `IN (${ids.map(() => '?').join(', ')})`, params: [...ids] };
  const parts = [`m.experiment_id ${experiments.sql}`, `m.lifecycle_stage = 'active'`];
  const params: SqlValue[] = [...experiments.params];
  const comparisons = parseFilter(options.filter);
  for (const c of comparisons) {
    const f = comparisonSql(c, datasets);
    parts.push(f.sql);
    params.push(...f.params);
  }
  if (datasets.length > 0 && !comparisons.some((c) => c.identifier.entity === 'metric')) {
    const on = datasetCondition(datasets);
    parts.push(
      `EXISTS (SELECT 1 FROM tracking_logged_model_metrics mm WHERE mm.model_id = m.model_id AND ${on.sql})`,
    );
    params.push(...on.params);
  }
  const { joins, order } = orderSql(options.order_by, experiments);
  return { joins, where: { sql: parts.join(' AND '), params }, order };
}
