/**
 * Histogram bins chosen the way Evidently chooses them (through NumPy's `histogram_bin_edges`),
 * so binned statistics — Jensen–Shannon, PSI, KL, Hellinger — see the same bins.
 */
import { type Empirical, meanOf, stdOf } from '../stats/empirical.ts';

/** `np.linspace(first, last, bins + 1)`: i·step + first, with the last edge set to `last`. */
export function linspace(first: number, last: number, bins: number): number[] {
  const step = (last - first) / bins;
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++)
    edges.push(step === 0 ? (i / bins) * (last - first) + first : i * step + first);
  edges[bins] = last;
  return edges;
}

/**
 * Equal-width edges over [min, max] for a bin-width rule, as NumPy does it: the range is widened
 * by 0.5 on each side when it is empty, integer data never gets bins narrower than 1, and a zero
 * width means one bin.
 */
function equalWidthEdges(min: number, max: number, width: number, integer: boolean): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let bins = 1;
  if (width) {
    const w = integer && width < 1 ? 1 : width;
    bins = Math.ceil((last - first) / w);
  }
  return linspace(first, last, bins);
}

/** Sturges' rule, `bins="sturges"`: width = (max − min) / (log₂ n + 1). */
export function sturgesEdges(min: number, max: number, n: number, integer: boolean): number[] {
  return equalWidthEdges(min, max, (max - min) / (Math.log2(n) + 1), integer);
}

/**
 * Doane's rule (Evidently's bins for distribution plots): Sturges' rule corrected by the sample's
 * skewness g₁. Zero width — fewer than 3 values or no spread — means one bin.
 */
export function doaneEdges(dist: Empirical, integer: boolean): number[] {
  const n = dist.total;
  const min = dist.values[0] as number;
  const max = dist.values[dist.values.length - 1] as number;
  let width = 0;
  if (n > 2) {
    const sg1 = Math.sqrt((6 * (n - 2)) / ((n + 1) * (n + 3)));
    const sigma = stdOf(dist);
    if (sigma > 0) {
      const mean = meanOf(dist);
      let third = 0;
      for (let i = 0; i < dist.values.length; i++) {
        const z = ((dist.values[i] as number) - mean) / sigma;
        third += (dist.counts[i] as number) * z * z * z;
      }
      const g1 = third / n;
      const first = min === max ? min - 0.5 : min;
      const last = min === max ? max + 0.5 : max;
      width = (last - first) / (1 + Math.log2(n) + Math.log2(1 + Math.abs(g1) / sg1));
    }
  }
  return equalWidthEdges(min, max, width, integer);
}

/**
 * Evidently's zero filling before PSI and KL: every empty bin gets the smallest non-empty share
 * divided by a million when that share is at most 1e-4, and 1e-4 otherwise.
 */
export function fillEmptyBins(shares: Float64Array): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  for (const s of shares) if (s !== 0 && s < min) min = s;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}
