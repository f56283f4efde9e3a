import { type CairnError, errors } from '../../kernel/errors.ts';
import {
  type Column,
  type NumberColumn,
  numberColumn,
  type StringColumn,
  stringColumn,
  type Table,
} from '../../ml/table/table.ts';
import type { InputColumn, InputSchema } from '../runtime/input-schema.ts';

/**
 * Values from a request, checked against one input column. Every refusal is INVALID_ARGUMENT
 * with a message that names the column and the row (1-based), and `details.column`.
 */

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function wrongType(column: InputColumn, row: number, value: unknown): CairnError {
  return errors.invalid(
    `column ${column.name}: row ${row + 1} holds ${describe(value)} where the model takes ${column.type === 'double' ? 'a number' : 'text'}`,
    { details: { column: column.name, row: row + 1 } },
  );
}

export function missing(column: InputColumn, row: number): CairnError {
  return errors.invalid(
    `column ${column.name}: row ${row + 1} has no value, and the model saw no missing ${column.name} in training`,
    {
      details: { column: column.name, row: row + 1 },
      hint: `send a value, or serve with limits.allow_missing: true to pass missing values to the model`,
    },
  );
}

export function missingColumn(schema: InputSchema, column: InputColumn): CairnError {
  return errors.invalid(`column ${column.name} is missing: the model takes ${schema.describe()}`, {
    details: { column: column.name },
  });
}

/** A JSON value for a number column: a finite number, or null / NaN for a missing value. */
export function numberAt(value: unknown, column: InputColumn, row: number): number {
  if (typeof value === 'number') {
    if (!Number.isNaN(value)) {
      if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY)
        throw errors.invalid(`column ${column.name}: row ${row + 1} is ${value}, not a finite number`, {
          details: { column: column.name, row: row + 1 },
        });
      return value;
    }
  } else if (value !== null && value !== undefined) throw wrongType(column, row, value);
  if (!column.allowMissing) throw missing(column, row);
  return Number.NaN;
}

/** A JSON value for a text column: a string, or null for a missing value. */
export function textAt(value: unknown, column: InputColumn, row: number): string | null {
  if (typeof value === 'string') return value;
  if (value !== null && value !== undefined && !(typeof value === 'number' && Number.isNaN(value)))
    throw wrongType(column, row, value);
  if (!column.allowMissing) throw missing(column, row);
  return null;
}

/** A column from values in row order. */
export function columnFrom(values: ArrayLike<unknown>, column: InputColumn): Column {
  const n = values.length;
  if (column.type === 'double') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = numberAt(values[i], column, i);
    return numberColumn(column.name, out);
  }
  const out = new Array<string | null>(n);
  for (let i = 0; i < n; i++) out[i] = textAt(values[i], column, i);
  return stringColumn(column.name, out);
}

/** A column from a field of row records (`[{age: 39, …}, …]`). */
export function columnFromRecords(records: readonly unknown[], column: InputColumn): Column {
  const n = records.length;
  const key = column.name;
  if (column.type === 'double') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = numberAt((records[i] as Record<string, unknown>)[key], column, i);
    return numberColumn(key, out);
  }
  const out = new Array<string | null>(n);
  for (let i = 0; i < n; i++) out[i] = textAt((records[i] as Record<string, unknown>)[key], column, i);
  return stringColumn(key, out);
}

/** Checks that each record is an object, naming the first that is not. */
export function checkRecords(records: readonly unknown[], what: string): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw errors.invalid(`${what}: row ${i + 1} is ${describe(r)}, not an object of column values`);
  }
}

/** A table whose columns are the schema's, in its order; `rows` must be the same for each. */
export function tableFor(rows: number, columns: Column[]): Table {
  for (const c of columns)
    if (c.values.length !== rows)
      throw errors.invalid(`column ${c.name} has ${c.values.length} values where the others have ${rows}`, {
        details: { column: c.name },
      });
  return { rows, columns };
}

export type { NumberColumn, StringColumn };
