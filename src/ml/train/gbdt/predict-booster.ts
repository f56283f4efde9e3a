import type { Table } from '../../table/table.ts';
import { treeRawFeatures } from './booster-features.ts';
import type { Booster } from './boosting.ts';
import { treeValue } from './tree.ts';

/**
 * The TypeScript ensemble's predictions on table rows (for tests and checks; the product predicts
 * through ONNX Runtime): class probabilities [1 − p, p] per row for log loss, values for squared
 * error.
 */
export function predictBooster(booster: Booster, table: Table, rows?: Int32Array): Float64Array {
  const features = treeRawFeatures(booster.specs, table, rows);
  const n = features.rows;
  const out = new Float64Array(booster.loss === 'logloss' ? 2 * n : n);
  const row = new Float64Array(booster.specs.length);
  const at = (f: number) => row[f] as number;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < row.length; f++) row[f] = (features.columns[f] as Float64Array)[i] as number;
    let s = booster.baseScore;
    for (const tree of booster.trees) s += treeValue(tree, at);
    if (booster.loss === 'squared') out[i] = s;
    else {
      const p = 1 / (1 + Math.exp(-s));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
  }
  return out;
}
