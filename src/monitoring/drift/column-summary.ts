/**
 * Column summaries: what drift detection needs to know about a column, computed in one pass over
 * its values. A reference summary is computed once per model version and stored; the current
 * window is summarized the same way and compared against it.
 */
import type { CategoricalColumn, Column, NumericColumn } from '../columns.ts';
import {
  compress,
  type Empirical,
  histogramOf,
  meanOf,
  quantilesOf,
  runLengths,
  sortedCopy,
  stdOf,
} from '../stats/empirical.ts';
import { doaneEdges } from './binning.ts';

/** Quantile levels kept in every numeric summary. */
export const SUMMARY_QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1] as const;

/** Default bound on the points a numeric sample keeps (see `SummaryOptions.maxSamplePoints`). */
export const DEFAULT_MAX_SAMPLE_POINTS = 20_000;

export interface SummaryOptions {
  /**
   * At most this many distinct values are kept per numeric column. A column with at most this
   * many distinct values keeps all of them with their counts — the sample up to order, so every
   * test gives exactly the answer it gives on the raw data. A column with more keeps this many
   * equal-count quantile blocks instead (`exact: false`); see docs/monitoring.md for the error
   * bounds. Infinity keeps everything. Default 20,000.
   */
  maxSamplePoints?: number;
}

export interface NumericSummary {
  name: string;
  kind: 'numeric';
  /** The source column holds integers (see NumericColumn.integer). */
  integer: boolean;
  /** Rows, missing or not. */
  rows: number;
  /** Rows without a finite value: null, NaN, +∞ or −∞. */
  missing: number;
  /** Finite values: rows − missing. */
  count: number;
  /** Distinct finite values. */
  distinct: number;
  /** NaN when count is 0 (min, max, mean, std). */
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (ddof = 0, as `np.std`, which Evidently normalizes by). */
  std: number;
  /** Quantiles at SUMMARY_QUANTILES by linear interpolation (NumPy's default). */
  quantiles: number[];
  /** Histogram with Evidently's bins for one sample: Doane's rule, integer-wide at least for integers. */
  histogram: { edges: number[]; counts: number[] };
  /** The values with their counts: lossless when `exact`, else equal-count quantile blocks. */
  sample: Empirical;
  exact: boolean;
}

export interface CategoricalSummary {
  name: string;
  kind: 'categorical';
  rows: number;
  missing: number;
  count: number;
  /** Categories seen, most frequent first (ties by value), with their counts. */
  categories: string[];
  counts: number[];
}

export type ColumnSummary = NumericSummary | CategoricalSummary;

function summarizeNumeric(column: NumericColumn, maxPoints: number): NumericSummary {
  const values = column.values;
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  const kept = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) kept[k++] = v;
  }
  const full = runLengths(sortedCopy(kept));
  const missing = values.length - finite;
  const integer = column.integer === true;
  const empty = finite === 0;
  const edges = empty ? [] : doaneEdges(full, integer && missing === 0);
  return {
    name: column.name,
    kind: 'numeric',
    integer,
    rows: values.length,
    missing,
    count: finite,
    distinct: full.values.length,
    min: empty ? Number.NaN : (full.values[0] as number),
    max: empty ? Number.NaN : (full.values[full.values.length - 1] as number),
    mean: empty ? Number.NaN : meanOf(full),
    std: empty ? Number.NaN : stdOf(full),
    quantiles: empty ? SUMMARY_QUANTILES.map(() => Number.NaN) : quantilesOf(full, SUMMARY_QUANTILES),
    histogram: { edges, counts: empty ? [] : Array.from(histogramOf(full, edges)) },
    sample: compress(full, maxPoints),
    exact: full.values.length <= maxPoints,
  };
}

function summarizeCategorical(column: CategoricalColumn): CategoricalSummary {
  const counts = new Float64Array(column.dictionary.length);
  let missing = 0;
  for (const code of column.codes) {
    if (code < 0) missing++;
    else counts[code] = (counts[code] as number) + 1;
  }
  // Merge dictionary entries that spell the same category (a dictionary need not be unique).
  const byValue = new Map<string, number>();
  column.dictionary.forEach((value, code) => {
    const c = counts[code] as number;
    if (c > 0) byValue.set(value, (byValue.get(value) ?? 0) + c);
  });
  const ranked = [...byValue].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    name: column.name,
    kind: 'categorical',
    rows: column.codes.length,
    missing,
    count: column.codes.length - missing,
    categories: ranked.map(([v]) => v),
    counts: ranked.map(([, c]) => c),
  };
}

/** Summarizes one column. */
export function summarizeColumn(column: Column, options: SummaryOptions = {}): ColumnSummary {
  const maxPoints = options.maxSamplePoints ?? DEFAULT_MAX_SAMPLE_POINTS;
  return column.kind === 'numeric' ? summarizeNumeric(column, maxPoints) : summarizeCategorical(column);
}
