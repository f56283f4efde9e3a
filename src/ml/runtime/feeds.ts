import { errors } from '../../kernel/errors.ts';
import type { SignatureInput } from '../package/package-types.ts';
import { findColumn, type Table } from '../table/table.ts';

/** One graph input's values: doubles (NaN = missing) or strings ('' = missing). */
export type FeedValues = Float64Array | string[];

/**
 * The values for each graph input, taken from the table's columns by name. A text column given
 * for a numeric input is parsed when every value is a number; a numeric column given for a text
 * input is written as text (whole numbers without decimals). Anything else is an error naming
 * the column.
 */
export function feedValues(table: Table, inputs: readonly SignatureInput[]): Map<string, FeedValues> {
  const feeds = new Map<string, FeedValues>();
  for (const input of inputs) {
    const column = findColumn(table, input.name);
    if (!column)
      throw errors.invalid(`the data has no column ${input.name}, which the model takes as input`, {
        details: { column: input.name },
        hint: `the model's inputs are ${inputs.map((i) => i.name).join(', ')}`,
      });
    if (input.type === 'double') {
      if (column.kind === 'number') feeds.set(input.name, column.values);
      else feeds.set(input.name, parseNumbers(input.name, column.values));
    } else if (column.kind === 'string') {
      const out = new Array<string>(table.rows);
      for (let i = 0; i < table.rows; i++) out[i] = column.values[i] ?? '';
      feeds.set(input.name, out);
    } else {
      const out = new Array<string>(table.rows);
      for (let i = 0; i < table.rows; i++) {
        const v = column.values[i] as number;
        out[i] = Number.isNaN(v) ? '' : String(v);
      }
      feeds.set(input.name, out);
    }
  }
  return feeds;
}

function parseNumbers(name: string, values: readonly (string | null)[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v.trim() === '') {
      out[i] = Number.NaN;
      continue;
    }
    const n = Number(v);
    if (Number.isNaN(n) && v.trim().toLowerCase() !== 'nan')
      throw errors.invalid(
        `column ${name} holds text (${JSON.stringify(v)} in row ${i + 1}) where the model takes numbers`,
        {
          details: { column: name, row: i + 1, value: v },
          hint: 'fix the value, or leave it empty to mark it missing',
        },
      );
    out[i] = n;
  }
  return out;
}
