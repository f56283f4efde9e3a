import type { SignatureOutput } from '../../ml/package/package-types.ts';
import { findColumn, type Table } from '../../ml/table/table.ts';

/**
 * MLflow's scoring answer for a model whose outputs are columns: `{"predictions": [...]}` with
 * one record per row (`{"label": "…", "probability": 0.12}`), as the scoring server writes a
 * DataFrame (pandas' records orientation; NaN as null).
 */
export function encodeMlflowPredictions(signature: readonly SignatureOutput[], outputs: Table): string {
  const keys = signature.map((o) => JSON.stringify(o.name));
  const columns = signature.map((o) => findColumn(outputs, o.name));
  let out = '{"predictions":[';
  for (let i = 0; i < outputs.rows; i++) {
    out += i === 0 ? '{' : ',{';
    for (let k = 0; k < columns.length; k++) {
      const c = columns[k];
      let value = 'null';
      if (c?.kind === 'number') {
        const v = c.values[i] as number;
        if (Number.isFinite(v)) value = String(v);
      } else if (c) {
        const v = c.values[i];
        if (v !== null && v !== undefined) value = JSON.stringify(v);
      }
      out += `${k === 0 ? '' : ','}${keys[k]}:${value}`;
    }
    out += '}';
  }
  return `${out}]}`;
}
