import { errors } from '../../kernel/errors.ts';

/** The two kinds of column a model takes: numbers (NaN = missing) and text (null = missing). */
export const COLUMN_KINDS = ['number', 'string'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

export interface NumberColumn {
  readonly name: string;
  readonly kind: 'number';
  /** One value per row; NaN marks a missing value. */
  readonly values: Float64Array;
}

export interface StringColumn {
  readonly name: string;
  readonly kind: 'string';
  /** One value per row; null marks a missing value. */
  readonly values: readonly (string | null)[];
}

export type Column = NumberColumn | StringColumn;

/** Rows of typed columns, each column stored whole (column-major). */
export interface Table {
  readonly rows: number;
  readonly columns: readonly Column[];
}

export function numberColumn(name: string, values: Float64Array): NumberColumn {
  return { name, kind: 'number', values };
}

export function stringColumn(name: string, values: readonly (string | null)[]): StringColumn {
  return { name, kind: 'string', values };
}

/** A table from columns of equal length. */
export function tableOf(columns: readonly Column[]): Table {
  const rows = columns[0]?.values.length ?? 0;
  for (const c of columns)
    if (c.values.length !== rows)
      throw errors.invalid(`column ${c.name} has ${c.values.length} values where the others have ${rows}`);
  return { rows, columns };
}

export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/** The rows at `indices`, in that order. */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const n = indices.length;
  const columns = table.columns.map((c): Column => {
    if (c.kind === 'number') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = c.values[indices[i] as number] as number;
      return numberColumn(c.name, out);
    }
    const out = new Array<string | null>(n);
    for (let i = 0; i < n; i++) out[i] = c.values[indices[i] as number] ?? null;
    return stringColumn(c.name, out);
  });
  return { rows: n, columns };
}

/**
 * A table from JSON-like records (`[{ age: 39, sex: 'Male' }, …]`), one column per name in
 * `schema`: numbers (null, undefined or NaN = missing) or text (null or undefined = missing).
 * A value of the wrong kind is an error naming the column and row.
 */
export function tableFromRecords(
  records: readonly Readonly<Record<string, unknown>>[],
  schema: readonly { name: string; kind: ColumnKind }[],
): Table {
  const columns = schema.map(({ name, kind }): Column => {
    if (kind === 'number') {
      const out = new Float64Array(records.length);
      records.forEach((r, i) => {
        const v = r[name];
        if (v === null || v === undefined) out[i] = Number.NaN;
        else if (typeof v === 'number') out[i] = v;
        else
          throw errors.invalid(`row ${i}: column ${name} must be a number or null, got ${JSON.stringify(v)}`);
      });
      return numberColumn(name, out);
    }
    return stringColumn(
      name,
      records.map((r, i) => {
        const v = r[name];
        if (v === null || v === undefined) return null;
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw errors.invalid(`row ${i}: column ${name} must be text or null, got ${JSON.stringify(v)}`);
      }),
    );
  });
  return { rows: records.length, columns };
}
