import { errors } from '../../kernel/errors.ts';
import type { SqlValue } from '../../store/metadata-store.ts';
import type { Comparator } from '../search-filter.ts';

/** A piece of SQL with its `?` parameters, in textual order. */
export interface SqlFragment {
  sql: string;
  params: SqlValue[];
}

/** The uppercase ASCII letter `c` stands in as U+E000 + its code (Unicode private use, never real text). */
const standIn = (c: string) => String.fromCharCode(0xe000 + c.charCodeAt(0));

/**
 * MLflow's LIKE is case-sensitive; SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
 * Replacing uppercase ASCII letters by private-use stand-ins on both sides makes case visible to
 * SQLite's LIKE while keeping every character one character (so `_` still matches exactly one),
 * and changes nothing on PostgreSQL. Only the letters of the pattern need it: any other text
 * character can only meet a wildcard. The plain LIKE in front is a cheap pre-filter.
 */
function foldedColumn(column: string, letters: readonly string[]): string {
  let sql = column;
  for (const letter of letters) sql = `replace(${sql}, '${letter}', '${standIn(letter)}')`;
  return sql;
}

export function foldUpperCase(value: string): string {
  return value.replace(/[A-Z]/g, standIn);
}

/** ASCII-only lowering, as SQLite's lower() and PostgreSQL's lower() under the "C" collation do. */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function likePattern(value: string): string {
  // Both dialects get ESCAPE '\'; a pattern ending in a lone escape is an error in PostgreSQL.
  if (/(?:^|[^\\])(?:\\\\)*\\$/.test(value))
    throw errors.invalid(
      `invalid LIKE pattern ${JSON.stringify(value)}: it ends with an escape character (\\)`,
    );
  return value;
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * `column <comparator> value` on a text column, with MLflow's semantics on both dialects. With
 * `indexedPrefix`, an equality also compares the first characters that an expression index on
 * `substr(column, 1, indexedPrefix)` holds, so that index can answer it.
 */
export function textComparison(
  column: string,
  comparator: Comparator,
  value: string | string[],
  indexedPrefix?: number,
): SqlFragment {
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = Array.isArray(value) ? value : [value];
    return { sql: `${column} ${comparator} (${placeholders(list.length)})`, params: list };
  }
  if (Array.isArray(value)) throw errors.invalid(`${comparator} takes one value, not a list`);
  switch (comparator) {
    case '=':
      if (indexedPrefix !== undefined) {
        // A value shorter than the indexed prefix can only equal a column whose prefix is all of
        // it, so the prefix test alone decides; the redundant full test misleads PostgreSQL's
        // planner into a slow plan (measured: 28 ms → 13.5 ms on 10,000 runs).
        if ([...value].length < indexedPrefix)
          return { sql: `substr(${column}, 1, ${indexedPrefix}) = ?`, params: [value] };
        return {
          sql: `substr(${column}, 1, ${indexedPrefix}) = substr(?, 1, ${indexedPrefix}) AND ${column} = ?`,
          params: [value, value],
        };
      }
      return { sql: `${column} = ?`, params: [value] };
    case '!=':
      return { sql: `${column} <> ?`, params: [value] };
    case 'LIKE': {
      const pattern = likePattern(value);
      if (!/[%_\\]/.test(pattern)) return { sql: `${column} = ?`, params: [pattern] };
      const letters = [...new Set(pattern.toUpperCase().match(/[A-Z]/g))];
      if (letters.length === 0) return { sql: `${column} LIKE ? ESCAPE '\\'`, params: [pattern] };
      return {
        sql: `(${column} LIKE ? ESCAPE '\\' AND ${foldedColumn(column, letters)} LIKE ? ESCAPE '\\')`,
        params: [pattern, foldUpperCase(pattern)],
      };
    }
    case 'ILIKE':
      return { sql: `lower(${column}) LIKE ? ESCAPE '\\'`, params: [asciiLower(likePattern(value))] };
    default:
      throw errors.invalid(`the comparator ${comparator} does not apply to text`);
  }
}

const NUMERIC_OPERATORS = new Set<Comparator>(['=', '!=', '>', '>=', '<', '<=']);

/** `column <comparator> value` on a numeric column. */
export function numberComparison(column: string, comparator: Comparator, value: number): SqlFragment {
  if (!NUMERIC_OPERATORS.has(comparator))
    throw errors.invalid(`the comparator ${comparator} does not apply to numbers`);
  return { sql: `${column} ${comparator === '!=' ? '<>' : comparator} ?`, params: [value] };
}
