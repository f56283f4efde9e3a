import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import { type Comparator, type Comparison, parseFilter, parseOrderBy } from '../search-filter.ts';
import type { LifecycleStage } from '../tracking-types.ts';
import { numberComparison, type SqlFragment, textComparison } from './sql-compare.ts';

/** MLflow's search_experiments as one SQL statement over tracking_experiments `e`. */

export const EXPERIMENT_COLUMNS =
  'e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time';

const NUMERIC_ATTRIBUTES = ['creation_time', 'last_update_time'];
const ORDERABLE = ['name', 'experiment_id', 'creation_time', 'last_update_time'];
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];

export interface ExperimentSearchOptions {
  stages: readonly LifecycleStage[];
  filter?: string | undefined;
  orderBy?: readonly string[] | undefined;
  limit: number;
  offset: number;
}

export function buildExperimentSearch(options: ExperimentSearchOptions): SqlFragment {
  const where: SqlFragment[] = [
    {
      sql: `e.lifecycle_stage IN (${options.stages.map(() => '?').join(', ')})`,
      params: [...options.stages],
    },
    ...parseFilter(options.filter).map(experimentFilter),
  ];
  const params: SqlValue[] = where.flatMap((w) => w.params);
  params.push(options.limit, options.offset);
  return {
    sql: `SELECT ${EXPERIMENT_COLUMNS} FROM tracking_experiments e WHERE ${where
      .map((w) => w.sql)
      .join(' AND ')} ORDER BY ${experimentOrder(options.orderBy).join(', ')} LIMIT ? OFFSET ?`,
    params,
  };
}

function stringValue(c: Comparison, what: string): string {
  if (typeof c.value !== 'string')
    throw errors.invalid(
      `Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${c.value}`,
    );
  return c.value;
}

function experimentFilter(c: Comparison): SqlFragment {
  const { identifier, comparator } = c;
  if (identifier.entity === 'tag') {
    if (!STRING_COMPARATORS.includes(comparator))
      throw errors.invalid(`Invalid comparator for tag: ${comparator}`);
    const cmp = textComparison('t.value', comparator, stringValue(c, 'tag'));
    return {
      sql: `e.experiment_id IN (SELECT t.experiment_id FROM tracking_experiment_tags t WHERE t.key = ? AND ${cmp.sql})`,
      params: [identifier.key, ...cmp.params],
    };
  }
  if (identifier.entity !== undefined && identifier.entity !== 'attribute')
    throw errors.invalid(
      `Invalid entity type '${identifier.entity}'. Valid entity types are ('attribute', 'tag', 'tags')`,
    );
  const key = identifier.key;
  if (key === 'name') {
    if (!STRING_COMPARATORS.includes(comparator))
      throw errors.invalid(`Invalid comparator for string attribute: ${comparator}`);
    return textComparison('e.name', comparator, stringValue(c, 'attribute'));
  }
  if (NUMERIC_ATTRIBUTES.includes(key)) {
    if (!NUMERIC_COMPARATORS.includes(comparator))
      throw errors.invalid(`Invalid comparator for numeric attribute: ${comparator}`);
    if (typeof c.value !== 'number')
      throw errors.invalid(`Expected numeric value type for numeric attribute: ${key}. Found '${c.value}'`);
    return numberComparison(`e.${key}`, comparator, c.value);
  }
  throw errors.invalid(
    `Invalid attribute key '${key}' specified. Valid keys are 'name', 'creation_time', 'last_update_time'`,
  );
}

/** Default: newest first, then by id; any other order ends with the id descending, as in MLflow. */
function experimentOrder(clauses: readonly string[] | undefined): string[] {
  const list = clauses && clauses.length > 0 ? clauses : ['creation_time DESC', 'experiment_id ASC'];
  const terms: string[] = [];
  let byId = false;
  for (const clause of list) {
    const { identifier, ascending } = parseOrderBy(clause);
    if (identifier.entity !== undefined && identifier.entity !== 'attribute')
      throw errors.invalid(`Invalid order_by entity: ${identifier.entity}`);
    if (!ORDERABLE.includes(identifier.key))
      throw errors.invalid(
        `Invalid attribute key '${identifier.key}' specified. Valid keys are '${ORDERABLE.join("', '")}'`,
      );
    if (identifier.key === 'experiment_id') byId = true;
    terms.push(`e.${identifier.key} ${ascending ? 'ASC' : 'DESC'}`);
  }
  if (!byId) terms.push('e.experiment_id DESC');
  return terms;
}
