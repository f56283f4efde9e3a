import type { Column, Table } from '../../table/table.ts';
import type { FeatureSpec, NumberFeature, StringFeature } from './feature-spec.ts';

export interface FitFeaturesOptions {
  /** The most categories kept per text column (the most frequent; default 100). */
  maxCategories: number;
}

/** Learns each feature column's preprocessing from the rows at `rows` (the training rows). */
export function fitFeatures(
  table: Table,
  names: readonly string[],
  sourceTypes: ReadonlyMap<string, string>,
  rows: Int32Array,
  options: FitFeaturesOptions,
): FeatureSpec[] {
  return names.map((name) => {
    const column = table.columns.find((c) => c.name === name) as Column;
    const sourceType = sourceTypes.get(name) ?? (column.kind === 'number' ? 'DOUBLE' : 'VARCHAR');
    return column.kind === 'number'
      ? fitNumber(name, column.values, rows, sourceType)
      : fitString(name, column.values, rows, sourceType, options.maxCategories);
  });
}

function fitNumber(name: string, values: Float64Array, rows: Int32Array, sourceType: string): NumberFeature {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let k = 0; k < rows.length; k++) {
    const v = values[rows[k] as number] as number;
    if (Number.isNaN(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  const std = n > 0 ? Math.sqrt(m2 / n) : 0;
  return {
    kind: 'number',
    name,
    mean: n > 0 ? mean : 0,
    scale: std > 0 && Number.isFinite(std) ? std : 1,
    missing: rows.length - n,
    sourceType,
  };
}

function fitString(
  name: string,
  values: readonly (string | null)[],
  rows: Int32Array,
  sourceType: string,
  maxCategories: number,
): StringFeature {
  const counts = new Map<string, number>();
  let missing = 0;
  for (let k = 0; k < rows.length; k++) {
    const v = values[rows[k] as number];
    if (v === null || v === undefined || v === '') missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let kept = [...counts.keys()];
  if (kept.length > maxCategories)
    kept = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxCategories)
      .map(([v]) => v);
  kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'string', name, categories: kept, missing, dropped: counts.size - kept.length, sourceType };
}
