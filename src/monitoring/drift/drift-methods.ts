/**
 * The drift tests, by name, as Evidently defines them: what each computes from the reference and
 * current data, its default threshold, and how the score is compared with the threshold.
 */
import type { ColumnKind } from '../columns.ts';
import {
  jensenShannonDistance,
  klDivergence,
  populationStabilityIndex,
  wassersteinDistance,
} from '../stats/distances.ts';
import { chiSquareSf, normalCdf } from '../stats/distributions.ts';
import { histogramOf } from '../stats/empirical.ts';
import { ksTwoSample } from '../stats/ks-two-sample.ts';
import { alignCounts, unionSize } from './aligned-counts.ts';
import { fillEmptyBins, sturgesEdges } from './binning.ts';
import type { ColumnSummary, NumericSummary } from './column-summary.ts';

export const DRIFT_METHODS = [
  'ks',
  'chisquare',
  'z',
  'wasserstein',
  'jensenshannon',
  'psi',
  'kl_div',
  'hellinger',
] as const;
export type DriftMethodName = (typeof DRIFT_METHODS)[number];

/** What a score means: a p-value (drift when small) or a distance (drift when large). */
export type ScoreKind = 'p_value' | 'distance';

export interface MethodResult {
  /** The p-value or the distance. */
  score: number;
  /** The test statistic behind a p-value: KS D, chi-square, z. */
  statistic?: number;
  /** False when the reference sample was compressed, so the score approximates the raw-data one. */
  exact: boolean;
}

export interface DriftMethod {
  name: DriftMethodName;
  /** Column kinds the method may be asked for by name (the automatic choice also applies chi-square and z to numbers). */
  kinds: readonly ColumnKind[];
  scoreKind: ScoreKind;
  defaultThreshold: number;
  /** Evidently's comparison: KS uses p ≤ threshold, chi-square and z p < threshold, distances ≥. */
  drifted(score: number, threshold: number): boolean;
  compute(reference: ColumnSummary, current: ColumnSummary): MethodResult;
}

function exactOf(reference: ColumnSummary, current: ColumnSummary): boolean {
  return (reference.kind !== 'numeric' || reference.exact) && (current.kind !== 'numeric' || current.exact);
}

function numeric(reference: ColumnSummary, current: ColumnSummary): [NumericSummary, NumericSummary] {
  if (reference.kind !== 'numeric' || current.kind !== 'numeric')
    throw new Error(`column ${reference.name}: this test needs numeric data`);
  return [reference, current];
}

/** Integer binning applies only when both sides are integer columns without missing values (as in pandas). */
function integerBins(reference: NumericSummary, current: NumericSummary): boolean {
  return reference.integer && current.integer && reference.missing === 0 && current.missing === 0;
}

/**
 * Evidently's `get_binned_data`: numbers with more than 20 distinct reference values fall into
 * Sturges bins over both samples together; anything else is compared value by value. Shares are
 * counts divided by each sample's size.
 */
export function binnedShares(
  reference: ColumnSummary,
  current: ColumnSummary,
): { reference: Float64Array; current: Float64Array } {
  if (reference.kind === 'numeric' && current.kind === 'numeric' && reference.distinct > 20) {
    const edges = sturgesEdges(
      Math.min(reference.min, current.min),
      Math.max(reference.max, current.max),
      reference.count + current.count,
      integerBins(reference, current),
    );
    return {
      reference: histogramOf(reference.sample, edges).map((c) => c / reference.count),
      current: histogramOf(current.sample, edges).map((c) => c / current.count),
    };
  }
  const aligned = alignCounts(reference, current);
  const refTotal = reference.count;
  const curTotal = current.count;
  return {
    reference: aligned.reference.map((c) => c / refTotal),
    current: aligned.current.map((c) => c / curTotal),
  };
}

const pValueBelow = (score: number, threshold: number) => score < threshold;
const distanceAtLeast = (score: number, threshold: number) => score >= threshold;

const ks: DriftMethod = {
  name: 'ks',
  kinds: ['numeric'],
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  drifted: (score, threshold) => score <= threshold,
  compute(reference, current) {
    const [r, c] = numeric(reference, current);
    const result = ksTwoSample(r.sample, c.sample);
    return { score: result.pValue, statistic: result.statistic, exact: exactOf(r, c) };
  },
};

const chisquare: DriftMethod = {
  name: 'chisquare',
  kinds: ['categorical'],
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  drifted: pValueBelow,
  compute(reference, current) {
    // Observed: current counts. Expected: reference counts scaled to the current sample's size.
    const aligned = alignCounts(reference, current);
    const scale = current.count / reference.count;
    let stat = 0;
    for (let i = 0; i < aligned.reference.length; i++) {
      const expected = (aligned.reference[i] as number) * scale;
      const diff = (aligned.current[i] as number) - expected;
      stat += (diff * diff) / expected;
    }
    return {
      score: chiSquareSf(stat, aligned.reference.length - 1),
      statistic: stat,
      exact: exactOf(reference, current),
    };
  },
};

const z: DriftMethod = {
  name: 'z',
  kinds: ['categorical'],
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  drifted: pValueBelow,
  compute(reference, current) {
    const aligned = alignCounts(reference, current);
    const exact = exactOf(reference, current);
    const refKeys = aligned.reference.filter((c) => c > 0).length;
    const curKeys = aligned.current.filter((c) => c > 0).length;
    if (refKeys === 1 && curKeys === 1 && aligned.reference.length === 1) return { score: 1, exact };
    // The share of everything but the smallest key, in each sample (Evidently's encoding).
    const n1 = reference.count;
    const n2 = current.count;
    const p1 = (n1 - (aligned.reference[aligned.smallest] as number)) / n1;
    const p2 = (n2 - (aligned.current[aligned.smallest] as number)) / n2;
    const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    const stat = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    return { score: 2 * (1 - normalCdf(Math.abs(stat))), statistic: stat, exact };
  },
};

const wasserstein: DriftMethod = {
  name: 'wasserstein',
  kinds: ['numeric'],
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  drifted: distanceAtLeast,
  compute(reference, current) {
    const [r, c] = numeric(reference, current);
    const norm = Math.max(r.std, 0.001);
    return { score: wassersteinDistance(r.sample, c.sample) / norm, exact: exactOf(r, c) };
  },
};

const jensenshannon: DriftMethod = {
  name: 'jensenshannon',
  kinds: ['categorical', 'numeric'],
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  drifted: distanceAtLeast,
  compute(reference, current) {
    const shares = binnedShares(reference, current);
    return {
      score: jensenShannonDistance(shares.reference, shares.current),
      exact: exactOf(reference, current),
    };
  },
};

const psi: DriftMethod = {
  name: 'psi',
  kinds: ['categorical', 'numeric'],
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  drifted: distanceAtLeast,
  compute(reference, current) {
    const shares = binnedShares(reference, current);
    const score = populationStabilityIndex(fillEmptyBins(shares.reference), fillEmptyBins(shares.current));
    return { score, exact: exactOf(reference, current) };
  },
};

const klDiv: DriftMethod = {
  name: 'kl_div',
  kinds: ['categorical', 'numeric'],
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  drifted: distanceAtLeast,
  compute(reference, current) {
    const shares = binnedShares(reference, current);
    return {
      score: klDivergence(fillEmptyBins(shares.reference), fillEmptyBins(shares.current)),
      exact: exactOf(reference, current),
    };
  },
};

/**
 * Evidently's Hellinger distance: for categories over the shares of each value; for numbers over
 * density histograms with Sturges bins laid over the distinct values of both samples.
 */
const hellinger: DriftMethod = {
  name: 'hellinger',
  kinds: ['categorical', 'numeric'],
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  drifted: distanceAtLeast,
  compute(reference, current) {
    const exact = exactOf(reference, current);
    let affinity = 0;
    if (reference.kind === 'numeric' && current.kind === 'numeric') {
      const edges = sturgesEdges(
        Math.min(reference.min, current.min),
        Math.max(reference.max, current.max),
        unionSize(reference, current),
        integerBins(reference, current),
      );
      const h1 = histogramOf(reference.sample, edges);
      const h2 = histogramOf(current.sample, edges);
      const width = ((edges[edges.length - 1] as number) - (edges[0] as number)) / (edges.length - 1);
      for (let i = 0; i < h1.length; i++) {
        const binWidth = (edges[i + 1] as number) - (edges[i] as number);
        const d1 = (h1[i] as number) / binWidth / reference.count;
        const d2 = (h2[i] as number) / binWidth / current.count;
        affinity += Math.sqrt(d1 * d2) * width;
      }
    } else {
      const aligned = alignCounts(reference, current);
      for (let i = 0; i < aligned.reference.length; i++)
        affinity += Math.sqrt(
          ((aligned.reference[i] as number) / reference.count) *
            ((aligned.current[i] as number) / current.count),
        );
    }
    return { score: Math.sqrt(1 - Math.min(Math.max(affinity, 0), 1)), exact };
  },
};

const METHODS: Record<DriftMethodName, DriftMethod> = {
  ks,
  chisquare,
  z,
  wasserstein,
  jensenshannon,
  psi,
  kl_div: klDiv,
  hellinger,
};

/** The drift test of this name. */
export function driftMethod(name: DriftMethodName): DriftMethod {
  return METHODS[name];
}

export function isDriftMethodName(name: string): name is DriftMethodName {
  return (DRIFT_METHODS as readonly string[]).includes(name);
}
