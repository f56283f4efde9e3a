import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import type { SearchLoggedModelsOptions } from '../logged-model-types.ts';
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
const TEXT_OPERATORS = new Set(['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);

function attribute(c: Comparison): SqlFragment {
  const key = c.identifier.key;
  const numeric = NUMBER_ATTRIBUTES[key];
  if (numeric !== undefined) {
    if (typeof c.value !== 'number')
      throw errors.invalid(
        `Invalid filter: ${key} is compared with a number, not ${JSON.stringify(c.value)}`,
      );
    return numberComparison(numeric, c.comparator, c.value);
  }
  const column = TEXT_ATTRIBUTES[key];
  if (column === undefined)
    throw errors.invalid(
      `Invalid filter: unknown attribute '${key}' (use ${[...Object.keys(TEXT_ATTRIBUTES), 'creation_timestamp', 'last_updated_timestamp'].join(', ')})`,
    );
  return textComparison(column, operator(c), textValue(c));
}

function operator(c: Comparison) {
  if (!TEXT_OPERATORS.has(c.comparator))
    throw errors.invalid(
      `Invalid comparison operator for ${c.identifier.entity ?? 'attributes'}.${c.identifier.key}: '${c.comparator}'. Expected one of ${[...TEXT_OPERATORS].join(', ')}.`,
    );
  return c.comparator;
}

function textValue(c: Comparison): string | string[] {
  if (typeof c.value === 'number') return String(c.value);
  if (c.value === null) throw errors.invalid(`Invalid filter: ${c.comparator} needs a value`);
  return c.value;
}

/** A tag or param comparison: the model has the key and its value compares true. */
function keyValue(table: string, c: Comparison): SqlFragment {
  const cmp = textComparison('kv.value', operator(c), textValue(c));
  return {
    sql: `EXISTS (SELECT 1 FROM ${table} kv WHERE kv.model_id = m.model_id AND kv.key = ? AND ${cmp.sql})`,
    params: [c.identifier.key, ...cmp.params],
  };
}

function comparisonSql(c: Comparison): SqlFragment {
  switch (c.identifier.entity) {
    case undefined:
    case 'attribute':
      return attribute(c);
    case 'tag':
      return keyValue('tracking_logged_model_tags', c);
    case 'param':
      return keyValue('tracking_logged_model_params', c);
    default:
      throw errors.invalid(
        `Invalid filter: ${c.identifier.entity}s.${c.identifier.key} is not supported when searching logged models (use attributes, tags or params)`,
      );
  }
}

function orderSql(orderBy: SearchLoggedModelsOptions['order_by']): string {
  const clauses: string[] = [];
  let byCreation = false;
  let byId = false;
  for (const ob of orderBy ?? []) {
    const field = ob.field_name;
    const column = NUMBER_ATTRIBUTES[field] ?? TEXT_ATTRIBUTES[field];
    if (column === undefined)
      throw errors.invalid(
        field.includes('.')
          ? `Invalid order by field name: ${field}. Cairn orders logged models by attributes only.`
          : `Invalid order by field name: ${field}`,
      );
    if (column === 'm.creation_timestamp_ms') byCreation = true;
    if (column === 'm.model_id') byId = true;
    // Nulls last, as MLflow does on every dialect.
    clauses.push(
      `CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`,
      `${column} ${ob.ascending === false ? 'DESC' : 'ASC'}`,
    );
  }
  if (!byCreation) clauses.push('m.creation_timestamp_ms DESC');
  if (!byId) clauses.push('m.model_id ASC');
  return clauses.join(', ');
}

/** The WHERE and ORDER BY of a logged-model search over `tracking_logged_models m`. */
export function buildLoggedModelSearch(options: SearchLoggedModelsOptions): {
  where: SqlFragment;
  order: string;
} {
  const ids = options.experiment_ids;
  if (!Array.isArray(ids) || ids.length === 0)
    throw errors.invalid("Missing value for required parameter 'experiment_ids'.");
  const parts = [`m.experiment_id IN (${ids.map(() => '?').join(', ')})`, `m.lifecycle_stage = 'active'`];
  const params: SqlValue[] = [...ids];
  for (const c of parseFilter(options.filter)) {
    const f = comparisonSql(c);
    parts.push(f.sql);
    params.push(...f.params);
  }
  return { where: { sql: parts.join(' AND '), params }, order: orderSql(options.order_by) };
}
