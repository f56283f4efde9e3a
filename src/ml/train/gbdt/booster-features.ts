import type { Table } from '../../table/table.ts';
import { encodeFeatures } from '../features/encode-features.ts';
import type { FeatureSpec } from '../features/feature-spec.ts';

/**
 * Features as the trees test them (and as the ONNX graph feeds its TreeEnsemble): numbers as
 * given (NaN = missing), text as the category index (−1 = missing or unseen).
 */
export function treeRawFeatures(
  specs: readonly FeatureSpec[],
  table: Table,
  rows?: Int32Array,
): { rows: number; columns: Float64Array[] } {
  const encoded = encodeFeatures(table, specs, 'tree', rows);
  return {
    rows: encoded.rows,
    columns: encoded.columns.map((c) => (c instanceof Float64Array ? c : Float64Array.from(c))),
  };
}
