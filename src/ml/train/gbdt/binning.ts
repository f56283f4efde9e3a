import type { Table } from '../../table/table.ts';
import type { FeatureSpec } from '../features/feature-spec.ts';
import { SeededRandom } from '../random.ts';

/** The bin every missing (or unseen) value falls in, for every feature. */
export const MISSING_BIN = 255;
/** Histogram slots per feature: bins 0..254 and the missing bin. */
export const BIN_SLOTS = 256;
/** Rows sampled to place the bin edges of a number column (as LightGBM and scikit-learn do). */
const EDGE_SAMPLE = 200_000;

/**
 * How a feature's values map to bins. Numbers: bin b holds (edges[b-1], edges[b]], the last bin
 * everything above the last edge; a split after bin b is the test `x <= edges[b]`, the same test
 * whether the value was binned or not. Text: bin = category index.
 */
export interface FeatureBins {
  kind: 'number' | 'string';
  /** Non-missing bins (≤ 255). */
  bins: number;
  /** Numbers: the bins' upper edges (bins − 1 of them). */
  edges: Float64Array;
}

/** Places up to `maxBins` bins per number column from the training rows; text gets one bin per category. */
export function fitBins(
  table: Table,
  specs: readonly FeatureSpec[],
  rows: Int32Array,
  maxBins: number,
  seed: number,
): FeatureBins[] {
  const random = new SeededRandom(seed ^ 0x5bd1e995);
  let sample = rows;
  if (rows.length > EDGE_SAMPLE) {
    const shuffled = random.shuffle(Int32Array.from(rows));
    sample = shuffled.subarray(0, EDGE_SAMPLE);
  }
  return specs.map((spec) => {
    if (spec.kind === 'string')
      return {
        kind: 'string',
        bins: Math.min(spec.categories.length, MISSING_BIN),
        edges: new Float64Array(0),
      };
    const values = table.columns.find((c) => c.name === spec.name)?.values as Float64Array;
    const present: number[] = [];
    for (let k = 0; k < sample.length; k++) {
      const v = values[sample[k] as number] as number;
      if (!Number.isNaN(v)) present.push(v);
    }
    const edges = edgesOf(Float64Array.from(present).sort(), Math.min(maxBins, MISSING_BIN));
    return { kind: 'number', bins: edges.length + 1, edges };
  });
}

/**
 * Edges between the sorted values: midpoints between neighbouring distinct values when there are
 * few enough, else midpoints at evenly spaced ranks (quantiles), without duplicates.
 */
function edgesOf(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i] as number);
  if (distinct.length <= maxBins) {
    const edges = new Float64Array(Math.max(0, distinct.length - 1));
    for (let i = 0; i + 1 < distinct.length; i++)
      edges[i] = midpoint(distinct[i] as number, distinct[i + 1] as number);
    return edges;
  }
  const edges: number[] = [];
  const n = sorted.length;
  for (let q = 1; q < maxBins; q++) {
    const rank = Math.floor((q * n) / maxBins);
    const lo = sorted[Math.max(0, rank - 1)] as number;
    const hi = sorted[rank] as number;
    const edge = lo === hi ? lo : midpoint(lo, hi);
    if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
  }
  // An edge equal to the largest value would leave the last bin empty.
  while (edges.length > 0 && (edges[edges.length - 1] as number) >= (sorted[n - 1] as number)) edges.pop();
  return Float64Array.from(edges);
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m < b ? m : a;
}

/** The bin of a number: the first edge it does not exceed, or the last bin; NaN → MISSING_BIN. */
export function binOf(edges: Float64Array, v: number): number {
  if (Number.isNaN(v)) return MISSING_BIN;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The binned rows at `rows` (all rows when omitted), row-major: byte `i * features + f` is the
 * bin of feature f in row i. Text values are binned by category index (missing and unseen values,
 * index −1 in `codes`, go to MISSING_BIN).
 */
export function binRows(
  table: Table,
  specs: readonly FeatureSpec[],
  bins: readonly FeatureBins[],
  rows?: Int32Array,
): Uint8Array {
  const n = rows ? rows.length : table.rows;
  const f = specs.length;
  const out = new Uint8Array(n * f);
  specs.forEach((spec, j) => {
    const column = table.columns.find((c) => c.name === spec.name);
    if (spec.kind === 'number') {
      const values = column?.values as Float64Array;
      const edges = (bins[j] as FeatureBins).edges;
      for (let k = 0; k < n; k++)
        out[k * f + j] = binOf(edges, values[rows ? (rows[k] as number) : k] as number);
    } else {
      const index = new Map(spec.categories.map((c, i) => [c, i]));
      const values = column?.values as readonly (string | null)[];
      for (let k = 0; k < n; k++) {
        const v = values[rows ? (rows[k] as number) : k];
        const code = v === null || v === undefined ? undefined : index.get(v);
        out[k * f + j] = code === undefined || code >= MISSING_BIN ? MISSING_BIN : code;
      }
    }
  });
  return out;
}
