import type { Column, Table } from '../../table/table.ts';
import type { FeatureSpec } from './feature-spec.ts';

/**
 * Feature columns as the trainers read them: per number column its values (imputed and
 * standardized for linear models, raw with NaN for trees), per text column the category index
 * of each row (-1 for a missing or unseen value). One-hot columns are never materialized.
 */
export interface EncodedFeatures {
  rows: number;
  specs: readonly FeatureSpec[];
  /** Per spec: Float64Array for a number column, Int32Array of category codes for text. */
  columns: (Float64Array | Int32Array)[];
}

/** How number columns are prepared: `linear` imputes and standardizes; `tree` keeps raw values. */
export type NumberEncoding = 'linear' | 'tree';

/** Encodes the rows at `rows` of `table` (all rows when omitted). */
export function encodeFeatures(
  table: Table,
  specs: readonly FeatureSpec[],
  encoding: NumberEncoding,
  rows?: Int32Array,
): EncodedFeatures {
  const n = rows ? rows.length : table.rows;
  const at = (k: number) => (rows ? (rows[k] as number) : k);
  const columns = specs.map((spec) => {
    const column = table.columns.find((c) => c.name === spec.name) as Column;
    if (spec.kind === 'number') {
      const out = new Float64Array(n);
      const values = column.values as Float64Array;
      for (let k = 0; k < n; k++) {
        const v = values[at(k)] as number;
        if (encoding === 'tree') out[k] = v;
        else out[k] = ((Number.isNaN(v) ? spec.mean : v) - spec.mean) / spec.scale;
      }
      return out;
    }
    const index = new Map(spec.categories.map((c, i) => [c, i]));
    const out = new Int32Array(n);
    const values = column.values as readonly (string | null)[];
    for (let k = 0; k < n; k++) {
      const v = values[at(k)];
      out[k] = v === null || v === undefined ? -1 : (index.get(v) ?? -1);
    }
    return out;
  });
  return { rows: n, specs, columns };
}
