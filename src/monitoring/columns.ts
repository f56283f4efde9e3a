/**
 * Columns as typed arrays: the in-memory form every monitoring statistic works on.
 * Numbers are a Float64Array with NaN for a missing value; categories are dictionary-encoded,
 * an Int32Array of codes into `dictionary` with −1 for a missing value.
 */

export const COLUMN_KINDS = ['numeric', 'categorical'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

export interface NumericColumn {
  name: string;
  kind: 'numeric';
  /** One value per row; NaN marks a missing value. ±∞ are kept but left out of drift tests. */
  values: Float64Array;
  /**
   * The source column holds integers. Evidently (through NumPy) never makes histogram bins
   * narrower than 1 for integer data; this flag lets Cairn bin the same way.
   */
  integer?: boolean;
}

export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  /** One code per row, an index into `dictionary`; −1 marks a missing value. */
  codes: Int32Array;
  dictionary: readonly string[];
}

export type Column = NumericColumn | CategoricalColumn;

/** Columns of equal length. */
export interface ColumnTable {
  rows: number;
  columns: Column[];
}

/** Builds a numeric column from plain numbers; null and undefined become missing. */
export function numericColumn(
  name: string,
  values: ArrayLike<number | null | undefined>,
  options: { integer?: boolean } = {},
): NumericColumn {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? Number.NaN : v;
  }
  return { name, kind: 'numeric', values: out, ...(options.integer ? { integer: true } : {}) };
}

/** Dictionary-encodes strings; null and undefined become missing. */
export function categoricalColumn(
  name: string,
  values: ArrayLike<string | null | undefined>,
): CategoricalColumn {
  const codes = new Int32Array(values.length);
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      codes[i] = -1;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) {
      code = dictionary.length;
      index.set(v, code);
      dictionary.push(v);
    }
    codes[i] = code;
  }
  return { name, kind: 'categorical', codes, dictionary };
}

/** The number of rows of a column. */
export function columnLength(column: Column): number {
  return column.kind === 'numeric' ? column.values.length : column.codes.length;
}
