import { binaryCurve } from './binary-curve.ts';

/** Points of a curve, ready to draw. */
export interface CurvePoints {
  x: number[];
  y: number[];
}

/**
 * The ROC curve as scikit-learn's `roc_curve` returns it with `drop_intermediate=False`: false
 * positive rate on x, true positive rate on y, from (0, 0) at an infinite threshold. Needs both
 * classes (callers check).
 */
export function rocCurve(positive: Uint8Array, scores: Float64Array): CurvePoints {
  const c = binaryCurve(positive, scores);
  const x = [0];
  const y = [0];
  for (let i = 0; i < c.thresholds.length; i++) {
    x.push((c.fps[i] as number) / c.negatives);
    y.push((c.tps[i] as number) / c.positives);
  }
  return { x, y };
}

/**
 * The precision-recall curve as scikit-learn's `precision_recall_curve`: recall on x
 * (decreasing), precision on y, ending at (0, 1). Needs at least one positive.
 */
export function precisionRecallCurve(positive: Uint8Array, scores: Float64Array): CurvePoints {
  const c = binaryCurve(positive, scores);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = c.thresholds.length - 1; i >= 0; i--) {
    const tp = c.tps[i] as number;
    const predicted = tp + (c.fps[i] as number);
    x.push(tp / c.positives);
    y.push(predicted === 0 ? 1 : tp / predicted);
  }
  x.push(0);
  y.push(1);
  return { x, y };
}

/** A reliability diagram: for each non-empty bin, the mean predicted probability and the observed rate. */
export interface CalibrationCurve {
  /** Mean predicted probability per non-empty bin (scikit-learn's `prob_pred`). */
  predicted: number[];
  /** Fraction of positives per non-empty bin (`prob_true`). */
  observed: number[];
  /** Rows per non-empty bin. */
  counts: number[];
  bins: number;
}

/**
 * scikit-learn's `calibration_curve(y, p, n_bins, strategy='uniform')`: `bins` equal-width bins
 * over [0, 1]; a probability on an inner edge belongs to the bin below it (NumPy's
 * `searchsorted(edges, p, side='left')`). Probabilities must lie in [0, 1] (callers check).
 */
export function calibrationCurve(
  positive: Uint8Array,
  probabilities: Float64Array,
  bins = 10,
): CalibrationCurve {
  // The inner edges as numpy.linspace(0, 1, bins + 1)[1:-1] computes them: i * (1 / bins).
  const step = 1 / bins;
  const edges = Array.from({ length: bins - 1 }, (_, i) => (i + 1) * step);
  const sums = new Float64Array(bins);
  const trues = new Float64Array(bins);
  const totals = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    let bin = 0;
    while (bin < edges.length && (edges[bin] as number) < p) bin++;
    sums[bin] = (sums[bin] as number) + p;
    trues[bin] = (trues[bin] as number) + (positive[i] as number);
    totals[bin] = (totals[bin] as number) + 1;
  }
  const out: CalibrationCurve = { predicted: [], observed: [], counts: [], bins };
  for (let b = 0; b < bins; b++) {
    const total = totals[b] as number;
    if (total === 0) continue;
    out.predicted.push((sums[b] as number) / total);
    out.observed.push((trues[b] as number) / total);
    out.counts.push(total);
  }
  return out;
}
