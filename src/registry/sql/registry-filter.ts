import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import { type Comparison, parseFilter } from '../../tracking/search-filter.ts';
import { compareText, type SqlCondition, type TextComparator } from './text-comparison.ts';

/**
 * MLflow's registry search filters (SearchModelUtils / SearchModelVersionUtils) compiled to SQL
 * over `registry_models m` (and `registry_versions v` for versions). Comparisons are ANDed.
 *
 *   models:   name (= != LIKE ILIKE IN NOT IN), tags.<key> (= != LIKE ILIKE)
 *   versions: name, run_id (= != LIKE ILIKE IN NOT IN), source_path (= != LIKE ILIKE),
 *             version_number (= != > >= < <=, an integer), tags.<key> (= != LIKE ILIKE)
 *
 * Models and versions that MLflow's prompt registry created (tagged `mlflow.prompt.is_prompt` =
 * 'true') are left out unless the filter asks for them, as MLflow 3 does.
 */

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

const STRING_COMPARATORS: readonly string[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const TAG_COMPARATORS: readonly string[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMERIC_COMPARATORS: readonly string[] = ['=', '!=', '>', '>=', '<', '<='];

interface Attribute {
  column: string;
  numeric?: boolean;
  /** Whether IN and NOT IN may be used. */
  list?: boolean;
}

interface Entity {
  attributes: Record<string, Attribute>;
  /** `tags.<key>` over this table, correlated with the outer row. */
  tagTable: string;
  tagJoin: string;
}

const MODEL: Entity = {
  attributes: { name: { column: 'm.name', list: true } },
  tagTable: 'registry_model_tags',
  tagJoin: 't.model_id = m.id',
};

const VERSION: Entity = {
  attributes: {
    name: { column: 'm.name', list: true },
    version_number: { column: 'v.version', numeric: true },
    run_id: { column: 'v.run_id', list: true },
    source_path: { column: 'v.source' },
  },
  tagTable: 'registry_version_tags',
  tagJoin: 't.model_id = v.model_id AND t.version = v.version',
};

/** Conditions on `registry_models m` for searchRegisteredModels. */
export function modelFilter(filter: string | undefined): SqlCondition {
  return compile(
    filter,
    MODEL,
    "NOT EXISTS (SELECT 1 FROM registry_model_tags p WHERE p.model_id = m.id AND p.key = ? AND p.value = 'true')",
  );
}

/** Conditions on `registry_versions v JOIN registry_models m` for searchModelVersions. */
export function versionFilter(filter: string | undefined): SqlCondition {
  // As in MLflow, a prompt tag on any version of a model leaves out all of its versions.
  return compile(
    filter,
    VERSION,
    "NOT EXISTS (SELECT 1 FROM registry_version_tags p WHERE p.model_id = v.model_id AND p.key = ? AND p.value = 'true')",
  );
}

function compile(filter: string | undefined, entity: Entity, excludePrompts: string): SqlCondition {
  const comparisons = parseFilter(filter);
  const wantsPrompts = queriesPrompts(comparisons);
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const comparison of comparisons) {
    const { identifier } = comparison;
    if (identifier.entity === 'tag') {
      if (identifier.key === PROMPT_TAG && !wantsPrompts) continue;
      const cond = tagCondition(comparison, entity);
      parts.push(cond.sql);
      params.push(...cond.params);
    } else if (identifier.entity === undefined || identifier.entity === 'attribute') {
      const cond = attributeCondition(comparison, entity);
      parts.push(cond.sql);
      params.push(...cond.params);
    } else {
      throw errors.invalid(
        `Invalid entity type '${identifier.entity}'. Valid entity types are ('attribute', 'tag', 'tags')`,
      );
    }
  }
  if (!wantsPrompts) {
    parts.push(excludePrompts);
    params.push(PROMPT_TAG);
  }
  return { sql: parts.length === 0 ? 'TRUE' : parts.join(' AND '), params };
}

function queriesPrompts(comparisons: Comparison[]): boolean {
  const prompt = comparisons.find((c) => c.identifier.entity === 'tag' && c.identifier.key === PROMPT_TAG);
  if (!prompt || typeof prompt.value !== 'string') return false;
  const value = prompt.value.toLowerCase();
  return (prompt.comparator === '=' && value === 'true') || (prompt.comparator === '!=' && value === 'false');
}

function tagCondition(comparison: Comparison, entity: Entity): SqlCondition {
  const { comparator, value } = comparison;
  if (!TAG_COMPARATORS.includes(comparator))
    throw errors.invalid(`Invalid comparator for tag: ${comparator}`);
  if (typeof value !== 'string')
    throw errors.invalid(
      `Expected a quoted string value for tag (e.g. 'my-value'). Got value ${String(value)}`,
    );
  const cmp = compareText('t.value', comparator as TextComparator, value);
  return {
    sql: `EXISTS (SELECT 1 FROM ${entity.tagTable} t WHERE ${entity.tagJoin} AND t.key = ? AND ${cmp.sql})`,
    params: [comparison.identifier.key, ...cmp.params],
  };
}

function attributeCondition(comparison: Comparison, entity: Entity): SqlCondition {
  const { identifier, comparator, value } = comparison;
  const attribute = entity.attributes[identifier.key];
  if (!attribute)
    throw errors.invalid(
      `Invalid attribute key '${identifier.key}' specified. Valid keys are ` +
        `'{${Object.keys(entity.attributes)
          .map((k) => `'${k}'`)
          .join(', ')}}'`,
    );
  if (attribute.numeric) {
    if (!NUMERIC_COMPARATORS.includes(comparator))
      throw errors.invalid(`Invalid comparator for attribute ${identifier.key}: ${comparator}`);
    const number = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number))
      throw errors.invalid(
        `Invalid value for numeric attribute '${identifier.key}': ${JSON.stringify(value)}`,
      );
    return { sql: `${attribute.column} ${comparator === '!=' ? '<>' : comparator} ?`, params: [number] };
  }
  const listed = comparator === 'IN' || comparator === 'NOT IN';
  if (!STRING_COMPARATORS.includes(comparator) || (listed && !attribute.list))
    throw errors.invalid(`Invalid comparator for attribute: ${comparator}`);
  if (listed ? !Array.isArray(value) : typeof value !== 'string')
    throw errors.invalid(
      'Expected a quoted string value or a list of quoted string values for attributes. ' +
        `Got value ${JSON.stringify(value)}`,
    );
  return compareText(attribute.column, comparator as TextComparator, value as string | string[]);
}
