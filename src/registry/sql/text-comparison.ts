import type { SqlValue } from '../../store/metadata-store.ts';

/** A piece of a WHERE clause with its `?` parameters, in order. */
export interface SqlCondition {
  sql: string;
  params: SqlValue[];
}

export type TextComparator = '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

const FIRST_PRIVATE_USE = 0xe000;
const CAPITALS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shifted = (capital: string) => String.fromCharCode(FIRST_PRIVATE_USE + capital.charCodeAt(0));

/**
 * LIKE must be case-sensitive and ILIKE case-insensitive on both databases, but SQLite's LIKE folds
 * ASCII case (PostgreSQL's does not), and the switch that changes that is per connection. So a
 * case-sensitive LIKE compares both sides with each ASCII capital replaced by a character of the
 * Unicode private use area, which no LIKE folds onto a lower-case letter. One character stays one
 * character, so `_` and `%` keep their meaning. (Only ASCII needs this: SQLite's LIKE never folds
 * other letters.) ILIKE lowers both sides with the database's own lower().
 */
function keepCaseSql(expr: string): string {
  let sql = expr;
  for (const capital of CAPITALS) sql = `replace(${sql}, '${capital}', '${shifted(capital)}')`;
  return sql;
}

function keepCase(pattern: string): string {
  return pattern.replace(/[A-Z]/g, shifted);
}

/**
 * `column <comparator> value` for a text column, with MLflow's meaning on SQLite and PostgreSQL
 * alike: `=`, `!=`, LIKE case-sensitive; ILIKE not; `\` escapes `%` and `_` in patterns (PostgreSQL's
 * default, made explicit for SQLite). A NULL column matches nothing, as in MLflow's SQL store.
 */
export function compareText(
  column: string,
  comparator: TextComparator,
  value: string | string[],
): SqlCondition {
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = Array.isArray(value) ? value : [value];
    return { sql: `${column} ${comparator} (${list.map(() => '?').join(', ')})`, params: list };
  }
  const text = Array.isArray(value) ? (value[0] ?? '') : value;
  switch (comparator) {
    case '=':
      return { sql: `${column} = ?`, params: [text] };
    case '!=':
      return { sql: `${column} <> ?`, params: [text] };
    case 'LIKE':
      return { sql: `${keepCaseSql(column)} LIKE ? ESCAPE '\\'`, params: [keepCase(text)] };
    case 'ILIKE':
      return { sql: `lower(${column}) LIKE lower(CAST(? AS TEXT)) ESCAPE '\\'`, params: [text] };
  }
}
