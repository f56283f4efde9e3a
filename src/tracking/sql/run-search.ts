import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import {
  type Comparator,
  type Comparison,
  type Identifier,
  parseFilter,
  parseOrderBy,
} from '../search-filter.ts';
import type { LifecycleStage } from '../tracking-types.ts';
import { numberComparison, type SqlFragment, textComparison } from './sql-compare.ts';
import { VALUE_PREFIX } from './tracking-migrations.ts';

/**
 * MLflow's search_runs as one SQL statement that selects the run ids of a page (the page's runs
 * are loaded afterwards by id, so sorting touches only ids and sort keys). A filter on a metric, param or tag becomes an inner
 * join on that key (each run has at most one row per key, so no run repeats), answered from the
 * (experiment_id, key, value) indexes; attributes filter the runs table itself; datasets are
 * semi-joins. order_by clauses become left joins, and runs lacking a sort key (or whose metric is
 * NaN) sort last whichever the direction.
 */

const STRING_ATTRIBUTES: Record<string, string> = {
  run_id: 'r.run_uuid',
  run_name: 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
};
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  start_time: 'r.start_time',
  end_time: 'r.end_time',
};
const ORDERABLE_ATTRIBUTES: Record<string, string> = {
  ...STRING_ATTRIBUTES,
  ...NUMERIC_ATTRIBUTES,
  experiment_id: 'r.experiment_id',
};
/** MLflow's aliases, as the UI writes them. */
const ATTRIBUTE_ALIASES: Record<string, string> = {
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
};

const METRIC_COMPARATORS: readonly Comparator[] = ['>', '>=', '!=', '=', '<', '<='];
// MLflow allows only =, !=, LIKE, ILIKE on params and tags; Cairn also takes IN and NOT IN.
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const DATASET_KEYS = ['name', 'digest', 'context'];
const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export interface RunSearchOptions {
  experimentIds: readonly number[];
  stages: readonly LifecycleStage[];
  filter?: string | undefined;
  orderBy?: readonly string[] | undefined;
  /** Rows to return: the page size plus one, to learn whether another page follows. */
  limit: number;
  offset: number;
}

export function buildRunSearch(options: RunSearchOptions): SqlFragment {
  const { joins, where, filteredMetrics } = filterParts(options);
  const order = orderFragments(options.orderBy ?? [], filteredMetrics);
  const params: SqlValue[] = [];
  for (const fragment of [...joins, ...order.joins, ...where]) params.push(...fragment.params);
  params.push(options.limit, options.offset);
  const sql = [
    'SELECT r.run_uuid FROM tracking_runs r',
    ...joins.map((j) => j.sql),
    ...order.joins.map((j) => j.sql),
    `WHERE ${where.map((w) => w.sql).join(' AND ')}`,
    `ORDER BY ${order.terms.join(', ')}`,
    'LIMIT ? OFFSET ?',
  ].join(' ');
  return { sql, params };
}

/** How many runs a search matches (its filter, without order or page). */
export function buildRunCount(
  options: Pick<RunSearchOptions, 'experimentIds' | 'stages' | 'filter'>,
): SqlFragment {
  const { joins, where } = filterParts(options);
  const params: SqlValue[] = [];
  for (const fragment of [...joins, ...where]) params.push(...fragment.params);
  const sql = [
    'SELECT COUNT(*) AS n FROM tracking_runs r',
    ...joins.map((j) => j.sql),
    `WHERE ${where.map((w) => w.sql).join(' AND ')}`,
  ].join(' ');
  return { sql, params };
}

interface FilterParts {
  joins: SqlFragment[];
  where: SqlFragment[];
  /** Metric key → the alias of the join the filter made for it. */
  filteredMetrics: Map<string, string>;
}

function filterParts(options: Pick<RunSearchOptions, 'experimentIds' | 'stages' | 'filter'>): FilterParts {
  const scope: SqlFragment = {
    sql: `IN (${options.experimentIds.map(() => '?').join(', ')})`,
    params: [...options.experimentIds],
  };
  const joins: SqlFragment[] = [];
  const where: SqlFragment[] = [
    { sql: `r.experiment_id ${scope.sql}`, params: scope.params },
    {
      sql: `r.lifecycle_stage IN (${options.stages.map(() => '?').join(', ')})`,
      params: [...options.stages],
    },
  ];
  // A metric the filter already joins (an inner join: every row has it) is sorted on through that
  // join rather than a second one; measured on PostgreSQL: 28 ms → 10 ms for 10,000 runs.
  const filteredMetrics = new Map<string, string>();
  for (const [i, comparison] of parseFilter(options.filter).entries()) {
    const part = filterPart(comparison, `f${i}`, scope);
    if ('join' in part) joins.push(part.join);
    else where.push(part.where);
    if (comparison.identifier.entity === 'metric' && !filteredMetrics.has(comparison.identifier.key))
      filteredMetrics.set(comparison.identifier.key, `f${i}`);
  }
  return { joins, where, filteredMetrics };
}

function attributeKey(identifier: Identifier): string {
  return ATTRIBUTE_ALIASES[identifier.key] ?? identifier.key;
}

function invalidComparator(comparator: Comparator, allowed: readonly Comparator[]) {
  return errors.invalid(`Invalid comparator '${comparator}' not one of '${allowed.join("', '")}'`);
}

function shown(value: Comparison['value']): string {
  return typeof value === 'string'
    ? `'${value}'`
    : Array.isArray(value)
      ? `(${value.join(', ')})`
      : String(value);
}

/** The value of a comparison on text: a quoted string, or a list for IN / NOT IN. */
function textValue(c: Comparison, what: string): string | string[] {
  if (c.comparator === 'IN' || c.comparator === 'NOT IN') {
    if (!Array.isArray(c.value)) throw errors.invalid(`${c.comparator} takes a list such as ('a', 'b')`);
    return c.value;
  }
  if (typeof c.value !== 'string')
    throw errors.invalid(
      `Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${shown(c.value)}`,
    );
  return c.value;
}

function numericValue(c: Comparison, what: string): number {
  if (typeof c.value !== 'number')
    throw errors.invalid(`Expected numeric value type for ${what}. Found ${shown(c.value)}`);
  return c.value;
}

/** A filter becomes a join (metrics, params, tags) or a condition on the runs table `r`. */
export type FilterPart = { join: SqlFragment } | { where: SqlFragment };

/** `JOIN <table> <alias>` on the run, the searched experiments and the key, plus `condition`. */
function keyJoin(
  table: string,
  alias: string,
  scope: SqlFragment,
  key: string,
  condition: SqlFragment,
): FilterPart {
  return {
    join: {
      sql: `JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.experiment_id ${scope.sql} AND ${alias}.key = ? AND ${condition.sql}`,
      params: [...scope.params, key, ...condition.params],
    },
  };
}

function inputsWhere(select: string, condition: SqlFragment): FilterPart {
  return { where: { sql: `r.run_uuid IN (${select} ${condition.sql})`, params: condition.params } };
}

/** One comparison of the filter; `alias` names its join, `scope` is `IN (<experiment ids>)`. */
export function filterPart(c: Comparison, alias: string, scope: SqlFragment): FilterPart {
  const { identifier, comparator } = c;
  switch (identifier.entity) {
    case 'metric': {
      if (!METRIC_COMPARATORS.includes(comparator)) throw invalidComparator(comparator, METRIC_COMPARATORS);
      const cmp = numberComparison(`${alias}.value`, comparator, numericValue(c, 'metric'));
      // NaN satisfies no comparison but !=, unlike MLflow's SQL store, which compares it as 0.
      const sql =
        comparator === '!=' ? `(${alias}.is_nan = 1 OR ${cmp.sql})` : `${alias}.is_nan = 0 AND ${cmp.sql}`;
      return keyJoin('tracking_latest_metrics', alias, scope, identifier.key, { sql, params: cmp.params });
    }
    case 'param':
    case 'tag': {
      if (!STRING_COMPARATORS.includes(comparator)) throw invalidComparator(comparator, STRING_COMPARATORS);
      const table = identifier.entity === 'param' ? 'tracking_params' : 'tracking_tags';
      const cmp = textComparison(`${alias}.value`, comparator, textValue(c, identifier.entity), VALUE_PREFIX);
      return keyJoin(table, alias, scope, identifier.key, cmp);
    }
    case 'dataset': {
      if (!DATASET_KEYS.includes(identifier.key))
        throw errors.invalid(
          `Invalid dataset key '${identifier.key}' specified. Valid keys are '${DATASET_KEYS.join("', '")}'`,
        );
      if (!STRING_COMPARATORS.includes(comparator)) throw invalidComparator(comparator, STRING_COMPARATORS);
      const value = textValue(c, 'dataset attributes');
      if (identifier.key === 'context') {
        const cmp = textComparison('t.value', comparator, value);
        return inputsWhere(
          'SELECT i.run_uuid FROM tracking_inputs i JOIN tracking_input_tags t ON t.input_uuid = i.input_uuid WHERE t.key = ? AND',
          { sql: cmp.sql, params: [DATASET_CONTEXT_TAG, ...cmp.params] },
        );
      }
      return inputsWhere(
        'SELECT i.run_uuid FROM tracking_inputs i JOIN tracking_datasets d ON d.dataset_uuid = i.dataset_uuid WHERE',
        textComparison(`d.${identifier.key}`, comparator, value),
      );
    }
    default: {
      const key = attributeKey(identifier);
      const numeric = NUMERIC_ATTRIBUTES[key];
      if (numeric !== undefined) {
        if (!METRIC_COMPARATORS.includes(comparator)) throw invalidComparator(comparator, METRIC_COMPARATORS);
        return { where: numberComparison(numeric, comparator, numericValue(c, `numeric attribute: ${key}`)) };
      }
      const column = STRING_ATTRIBUTES[key];
      if (column === undefined)
        throw errors.invalid(
          `Invalid attribute key '${identifier.key}' specified. Valid keys are '${[
            ...Object.keys(STRING_ATTRIBUTES),
            ...Object.keys(NUMERIC_ATTRIBUTES),
            'created',
          ].join("', '")}'`,
        );
      if (!STRING_COMPARATORS.includes(comparator)) throw invalidComparator(comparator, STRING_COMPARATORS);
      return { where: textComparison(column, comparator, textValue(c, 'attributes')) };
    }
  }
}

interface OrderFragments {
  joins: SqlFragment[];
  terms: string[];
}

/** order_by clauses as left joins and ORDER BY terms, ending with start_time DESC and run_id. */
export function orderFragments(
  clauses: readonly string[],
  joinedMetrics: ReadonlyMap<string, string> = new Map(),
): OrderFragments {
  const joins: SqlFragment[] = [];
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const [i, clause] of clauses.entries()) {
    const { identifier, ascending } = parseOrderBy(clause);
    const direction = ascending ? 'ASC' : 'DESC';
    const entity = identifier.entity ?? 'attribute';
    const key = entity === 'attribute' ? attributeKey(identifier) : identifier.key;
    const id = `${entity}\u0000${key}`;
    if (seen.has(id))
      throw errors.invalid(`\`order_by\` contains duplicate fields: ${JSON.stringify(clauses)}`);
    seen.add(id);
    let alias = `o${i}`;
    if (entity === 'metric') {
      const joined = joinedMetrics.get(key);
      if (joined) alias = joined;
      else
        joins.push({
          sql: `LEFT JOIN tracking_latest_metrics ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`,
          params: [key],
        });
      terms.push(
        `CASE WHEN ${alias}.run_uuid IS NULL THEN 2 WHEN ${alias}.is_nan = 1 THEN 1 ELSE 0 END`,
        `${alias}.value ${direction}`,
      );
    } else if (entity === 'param' || entity === 'tag') {
      const table = entity === 'param' ? 'tracking_params' : 'tracking_tags';
      joins.push({
        sql: `LEFT JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`,
        params: [key],
      });
      terms.push(`CASE WHEN ${alias}.run_uuid IS NULL THEN 1 ELSE 0 END`, `${alias}.value ${direction}`);
    } else if (entity === 'attribute') {
      const column = ORDERABLE_ATTRIBUTES[key];
      if (column === undefined)
        throw errors.invalid(
          `Invalid attribute key '${identifier.key}' specified. Valid keys are '${Object.keys(ORDERABLE_ATTRIBUTES).join("', '")}'`,
        );
      if (key === 'end_time') terms.push(`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`);
      terms.push(`${column} ${direction}`);
    } else throw errors.invalid(`Invalid order_by entity '${entity}' in ${JSON.stringify(clause)}`);
  }
  if (!seen.has('attribute\u0000start_time')) terms.push('r.start_time DESC');
  if (!seen.has('attribute\u0000run_id')) terms.push('r.run_uuid ASC');
  return { joins, terms };
}
